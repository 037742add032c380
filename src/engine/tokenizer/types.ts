/**
 * The parts of an HF `tokenizer.json` that a byte-level BPE tokenizer reads. Everything is optional
 * or loosely typed here because the file comes from outside; `loadTokenizer` validates it.
 */
export interface TokenizerJson {
  version?: string;
  added_tokens?: AddedTokenJson[];
  normalizer?: NormalizerJson | null;
  pre_tokenizer?: PreTokenizerJson | null;
  post_processor?: PostProcessorJson | null;
  decoder?: DecoderJson | null;
  model: BpeModelJson;
}

export interface AddedTokenJson {
  id: number;
  content: string;
  single_word?: boolean;
  lstrip?: boolean;
  rstrip?: boolean;
  normalized?: boolean;
  special?: boolean;
}

export interface BpeModelJson {
  /** 'BPE' (or absent), or 'WordPiece' (BERT; then `merges` is absent and `continuing_subword_prefix` is '##') */
  type?: string;
  vocab: Record<string, number>;
  /** either "a b" strings (older files) or [a, b] pairs (tokenizers >= 0.20) */
  merges: Array<string | [string, string]>;
  unk_token?: string | null;
  ignore_merges?: boolean;
  byte_fallback?: boolean;
  continuing_subword_prefix?: string | null;
  end_of_word_suffix?: string | null;
  dropout?: number | null;
  fuse_unk?: boolean;
  /** WordPiece: longer words are the unknown token */
  max_input_chars_per_word?: number;
}

export type RegexOrString = { Regex: string } | { String: string };

export type NormalizerJson =
  | { type: 'NFC' | 'NFD' | 'NFKC' | 'NFKD' | 'Lowercase' }
  | { type: 'Sequence'; normalizers: NormalizerJson[] }
  | { type: 'Prepend'; prepend: string }
  | { type: 'Replace'; pattern: RegexOrString; content: string }
  | { type: 'Strip'; strip_left?: boolean; strip_right?: boolean }
  | { type: string; [k: string]: unknown };

export type SplitBehavior = 'Removed' | 'Isolated' | 'MergedWithPrevious' | 'MergedWithNext' | 'Contiguous';

export type PreTokenizerJson =
  | { type: 'Sequence'; pretokenizers: PreTokenizerJson[] }
  | { type: 'Split'; pattern: RegexOrString; behavior: SplitBehavior; invert?: boolean }
  | { type: 'ByteLevel'; add_prefix_space?: boolean; use_regex?: boolean; trim_offsets?: boolean }
  | { type: 'Digits'; individual_digits?: boolean }
  | { type: 'Metaspace'; replacement?: string; prepend_scheme?: 'always' | 'first' | 'never'; add_prefix_space?: boolean; split?: boolean }
  | { type: string; [k: string]: unknown };

export type TemplatePiece = { SpecialToken: { id: string; type_id?: number } } | { Sequence: { id: 'A' | 'B'; type_id?: number } };

export type PostProcessorJson =
  | { type: 'ByteLevel'; add_prefix_space?: boolean; trim_offsets?: boolean; use_regex?: boolean }
  | { type: 'TemplateProcessing'; single: TemplatePiece[]; pair?: TemplatePiece[]; special_tokens: Record<string, { id: string; ids: number[]; tokens: string[] }> }
  | { type: 'RobertaProcessing' | 'BertProcessing'; cls: [string, number]; sep: [string, number] }
  | { type: 'Sequence'; processors: PostProcessorJson[] }
  | { type: string; [k: string]: unknown };

export type DecoderJson =
  | { type: 'ByteLevel'; add_prefix_space?: boolean; trim_offsets?: boolean; use_regex?: boolean }
  | { type: 'Replace'; pattern: RegexOrString; content: string }
  | { type: 'ByteFallback' | 'Fuse' }
  | { type: 'Strip'; content: string; start: number; stop: number }
  | { type: 'Metaspace'; replacement?: string; prepend_scheme?: 'always' | 'first' | 'never'; add_prefix_space?: boolean }
  | { type: 'Sequence'; decoders: DecoderJson[] }
  | { type: string; [k: string]: unknown };
