/**
 * A tokenizer.json shaped exactly like all-MiniLM-L6-v2's (BertNormalizer, BertPreTokenizer, WordPiece model and
 * decoder, [CLS] $A [SEP] template) with a small vocabulary, for tests.
 */
export const BERT_VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'hello', 'world', ',', '!', 'un', '##aff', '##able', 'wor', '##ld', 'don', "'", 't', '日', 'caf', '##e', 'a', '##b', '$', '5'];
const special = (id: number) => ({ id, content: BERT_VOCAB[id]!, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
export const BERT_TOKENIZER_JSON = {
  version: '1.0',
  added_tokens: [0, 1, 2, 3, 4].map(special),
  normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
  pre_tokenizer: { type: 'BertPreTokenizer' },
  post_processor: {
    type: 'TemplateProcessing',
    single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
    special_tokens: { '[CLS]': { id: '[CLS]', ids: [2], tokens: ['[CLS]'] }, '[SEP]': { id: '[SEP]', ids: [3], tokens: ['[SEP]'] } },
  },
  decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
  model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: Object.fromEntries(BERT_VOCAB.map((t, i) => [t, i])) },
};
