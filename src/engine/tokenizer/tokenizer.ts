import { describeValue } from '../../core/describeValue.ts';
import { nestsDeeperThan } from '../../core/jsonDepth.ts';
import { TributaryError } from '../../core/errors.ts';
import { AddedTokenSplitter, type AddedToken, type Segment } from './addedTokens.ts';
import { BpeModel } from './bpe.ts';
import { buildNormalizer, buildPostProcessor, buildPreTokenizer, type Normalize, type PostProcess, type PreTokenize } from './pipeline.ts';
import { buildTokenDecoder, type TokenDecoder } from './tokenDecoder.ts';
import { wordPieceModel } from './wordPiece.ts';
import type { TokenizerJson } from './types.ts';

export interface EncodeOptions {
  /** apply the post-processor (e.g. Llama 3's `<|begin_of_text|>`); default false */
  addSpecialTokens?: boolean;
  /**
   * Treat special added tokens written in the text as plain text (HF `split_special_tokens`), e.g. for
   * untrusted user input that must not be able to inject `<|im_start|>`. Non-special added tokens are
   * still recognised. Default false.
   */
  splitSpecialTokens?: boolean;
}

export interface DecodeOptions {
  /** leave out added tokens marked `special` (e.g. `<|im_end|>`); default false */
  skipSpecialTokens?: boolean;
}

/** Decodes a stream of token ids into text, emitting only complete UTF-8 characters. */
export interface StreamDecoder {
  /** Adds one token; returns the text that became complete (possibly ''). */
  push(id: number): string;
  /** Ends the stream: returns what is left, with U+FFFD for an incomplete character. */
  flush(): string;
}

/**
 * A tokenizer built from an HF `tokenizer.json`: BPE — byte-level ones (GPT-2, Llama 3, Qwen2/3, SmolLM2) and
 * SentencePiece-style ones with byte fallback (Llama 2, TinyLlama, Mistral) — and WordPiece (BERT family, wordPiece.ts).
 * Encoding: split on added tokens -> normalizer -> pre-tokenizer (Split / ByteLevel / Metaspace / Digits, or
 * none) -> BPE by merge rank (unknown characters as `<0xXX>` byte tokens where the model has byte fallback)
 * -> post-processor. Decoding: the decoder's token -> bytes mapping (see tokenDecoder.ts), lossy UTF-8.
 */
export class Tokenizer {
  /** BPE, or WordPiece for BERT-family tokenizers (wordPiece.ts) */
  private readonly bpe: { encodeWord(word: string): ArrayLike<number> };
  private readonly idToToken: Array<string | undefined>;
  private readonly tokenToIdMap: Map<string, number>;
  private readonly added: AddedToken[];
  private readonly specialIds: Set<number>;
  private readonly normalize: Normalize | null;
  private readonly preTokenize: PreTokenize;
  private readonly postProcess: PostProcess | null;
  private readonly rawSplitter: AddedTokenSplitter;
  private readonly normSplitter: AddedTokenSplitter;
  private splitNoSpecial: [AddedTokenSplitter, AddedTokenSplitter] | null = null;
  private readonly tokenBytes: Array<Uint8Array | undefined> = [];
  private readonly decoder: TokenDecoder;

  /** One more than the largest token id (model vocabulary and added tokens). */
  readonly vocabSize: number;

  constructor(json: TokenizerJson) {
    validate(json);
    const model = json.model;
    const vocab = new Map<string, number>();
    for (const [tok, id] of Object.entries(model.vocab)) vocab.set(tok, id);
    const merges = model.type === 'WordPiece' ? [] : model.merges.map((m, i): [string, string] => {
      if (Array.isArray(m) && m.length === 2) return [String(m[0]), String(m[1])];
      if (typeof m === 'string') {
        const sp = m.indexOf(' ', 1);
        if (sp > 0 && m.indexOf(' ', sp + 1) < 0) return [m.slice(0, sp), m.slice(sp + 1)];
      }
      throw new TributaryError('tokenizer/invalid', `merge ${i} is malformed (${describeValue(m, 40)}); expected "a b" or ["a", "b"].`, 'tokenizer.json');
    });
    const unk = model.unk_token ?? null;
    const unkId = unk !== null ? vocab.get(unk) : undefined;
    this.bpe = model.type === 'WordPiece' ? wordPieceModel(vocab, model) : new BpeModel({
      vocab,
      merges,
      ignoreMerges: model.ignore_merges ?? false,
      fuseUnk: model.fuse_unk ?? false,
      byteFallback: model.byte_fallback ?? false,
      ...(unkId !== undefined ? { unkId } : {}),
    });

    this.added = (json.added_tokens ?? []).map((t) => ({
      id: t.id,
      content: t.content,
      special: t.special ?? false,
      lstrip: t.lstrip ?? false,
      rstrip: t.rstrip ?? false,
      singleWord: t.single_word ?? false,
      normalized: t.normalized ?? !(t.special ?? false),
    }));
    this.tokenToIdMap = vocab;
    let maxId = -1;
    for (const id of vocab.values()) if (id > maxId) maxId = id;
    for (const t of this.added) if (t.id > maxId) maxId = t.id;
    this.vocabSize = maxId + 1;
    this.idToToken = new Array<string | undefined>(this.vocabSize);
    for (const [tok, id] of vocab) this.idToToken[id] = tok;
    for (const t of this.added) {
      this.idToToken[t.id] = t.content;
      this.tokenToIdMap.set(t.content, t.id);
    }
    this.specialIds = new Set(this.added.filter((t) => t.special).map((t) => t.id));

    this.normalize = buildNormalizer(json.normalizer);
    const pre = buildPreTokenizer(json.pre_tokenizer);
    this.preTokenize = pre.run;
    this.postProcess = buildPostProcessor(json.post_processor, (t) => this.tokenToIdMap.get(t));
    this.decoder = buildTokenDecoder(json.decoder, pre.byteLevel);

    const norm = this.normalize;
    this.rawSplitter = new AddedTokenSplitter(this.added.filter((t) => !t.normalized));
    this.normSplitter = new AddedTokenSplitter(this.added.filter((t) => t.normalized).map((t) => ({ ...t, content: norm ? norm(t.content) : t.content })));
  }

  /** Token ids of `text`. */
  encode(text: string, opts: EncodeOptions = {}): number[] {
    let raw = this.rawSplitter;
    let normed = this.normSplitter;
    if (opts.splitSpecialTokens) {
      if (!this.splitNoSpecial) {
        const norm = this.normalize;
        const plain = this.added.filter((t) => !t.special);
        this.splitNoSpecial = [
          new AddedTokenSplitter(plain.filter((t) => !t.normalized)),
          new AddedTokenSplitter(plain.filter((t) => t.normalized).map((t) => ({ ...t, content: norm ? norm(t.content) : t.content }))),
        ];
      }
      [raw, normed] = this.splitNoSpecial;
    }
    const ids: number[] = [];
    // whether the next text piece starts at offset 0 of the input (Metaspace's "first" prepend scheme)
    let first = true;
    for (const seg of raw.split(text)) {
      if (typeof seg === 'number') {
        ids.push(seg);
        first = false;
        continue;
      }
      const n = this.normalize ? this.normalize(seg) : seg;
      const inner: Segment[] = normed.empty ? [n] : normed.split(n);
      for (const s of inner) {
        if (typeof s === 'number') {
          ids.push(s);
          first = false;
          continue;
        }
        const words = this.preTokenize([s], first);
        first = false;
        for (const word of words) {
          const w = this.bpe.encodeWord(word);
          for (let i = 0; i < w.length; i++) ids.push(w[i]!);
        }
      }
    }
    return opts.addSpecialTokens && this.postProcess ? this.postProcess(ids) : ids;
  }

  /** Text of `ids` (lossy UTF-8: an incomplete or invalid sequence becomes U+FFFD). */
  decode(ids: ArrayLike<number>, opts: DecodeOptions = {}): string {
    const parts: Uint8Array[] = [];
    let len = 0;
    for (let i = 0; i < ids.length; i++) {
      const b = this.bytesOf(ids[i]!, opts.skipSpecialTokens ?? false);
      if (b) {
        parts.push(b);
        len += b.length;
      }
    }
    const all = new Uint8Array(len);
    let o = 0;
    for (const p of parts) {
      all.set(p, o);
      o += p.length;
    }
    let start = 0;
    while (start < this.decoder.stripStart && all[start] === 0x20) start++;
    return new TextDecoder('utf-8').decode(all.subarray(start));
  }

  /** A decoder for generated tokens that only emits complete characters (UTF-8 split across tokens). */
  createStreamDecoder(opts: DecodeOptions = {}): StreamDecoder {
    const td = new TextDecoder('utf-8');
    const skip = opts.skipSpecialTokens ?? false;
    // leading spaces still to drop at the start of the text (SentencePiece's prefix space)
    let toStrip = this.decoder.stripStart;
    return {
      push: (id) => {
        let b = this.bytesOf(id, skip);
        if (!b) return '';
        if (toStrip > 0 && b.length > 0) {
          let k = 0;
          while (k < b.length && toStrip > 0 && b[k] === 0x20) {
            k++;
            toStrip--;
          }
          if (k < b.length) toStrip = 0; // the text has begun
          b = b.subarray(k);
        }
        return td.decode(b, { stream: true });
      },
      flush: () => td.decode(),
    };
  }

  /** The token string of `id` as the vocabulary writes it (byte-level alphabet, or ▁ for spaces), or undefined. */
  idToTokenString(id: number): string | undefined {
    return this.idToToken[id];
  }

  /** The id of a token string (model vocabulary or added token), or undefined. */
  tokenToId(token: string): number | undefined {
    return this.tokenToIdMap.get(token);
  }

  /** Whether `id` is an added token marked `special`. */
  isSpecial(id: number): boolean {
    return this.specialIds.has(id);
  }

  /** The added tokens (copies). */
  get addedTokens(): AddedToken[] {
    return this.added.map((t) => ({ ...t }));
  }

  private bytesOf(id: number, skipSpecial: boolean): Uint8Array | null {
    if (skipSpecial && this.specialIds.has(id)) return null;
    let b = this.tokenBytes[id];
    if (b === undefined) {
      const tok = Number.isInteger(id) ? this.idToToken[id] : undefined;
      if (tok === undefined) return null; // unknown ids are skipped, as HF does
      b = this.decoder.bytes(tok);
      this.tokenBytes[id] = b;
    }
    return b;
  }
}

function invalid(msg: string): TributaryError {
  return new TributaryError('tokenizer/invalid', `${msg} This is not a usable HF tokenizer.json; use the file that ships with the model.`, 'tokenizer.json');
}

/**
 * Bounds for tokenizer.json. The largest real vocabularies hold ~262k tokens (Gemma); ids are array
 * indices here, so an id of 2^32 would otherwise end in an untyped `RangeError` (or gigabytes).
 */
export const TOKENIZER_LIMITS = {
  /** Largest accepted token id (vocabulary and added tokens), exclusive. */
  maxTokenId: 1 << 22,
  /** Merges in model.merges. */
  maxMerges: 1 << 22,
  /** Nesting of the JSON document (real files: under 10; Sequence steps nest one level each). */
  maxDepth: 64,
} as const;

function validate(json: unknown): asserts json is TokenizerJson {
  if (typeof json !== 'object' || json === null) throw invalid('The file is not a JSON object.');
  if (nestsDeeperThan(json, TOKENIZER_LIMITS.maxDepth)) {
    throw invalid(`It nests more than ${TOKENIZER_LIMITS.maxDepth} levels deep (real tokenizers nest under 10); it is damaged or hostile.`);
  }
  const j = json as Partial<TokenizerJson>;
  const m = j.model as Partial<TokenizerJson['model']> | undefined;
  if (!m || typeof m !== 'object') throw invalid('It has no "model".');
  if (m.type !== undefined && m.type !== 'BPE' && m.type !== 'WordPiece') {
    throw new TributaryError('tokenizer/unsupported', `the model type ${describeValue(m.type)} is not supported; only BPE (byte-level or with byte fallback) and WordPiece (BERT).`, 'tokenizer.json');
  }
  if (typeof m.vocab !== 'object' || m.vocab === null || Array.isArray(m.vocab)) throw invalid('model.vocab is not an object of token -> id.');
  for (const [k, v] of Object.entries(m.vocab)) {
    if (!Number.isInteger(v) || (v as number) < 0) throw invalid(`model.vocab[${describeValue(k)}] is not a non-negative integer id.`);
    if ((v as number) >= TOKENIZER_LIMITS.maxTokenId) throw invalid(`model.vocab[${describeValue(k)}] has the id ${v as number}; ids must be below ${TOKENIZER_LIMITS.maxTokenId}.`);
  }
  const merges = m.type === 'WordPiece' ? [] : m.merges;
  if (!Array.isArray(merges)) throw invalid('model.merges is not a list.');
  if (merges.length > TOKENIZER_LIMITS.maxMerges) throw invalid(`model.merges has ${merges.length} entries; at most ${TOKENIZER_LIMITS.maxMerges} are accepted.`);
  for (const [i, merge] of merges.entries()) {
    if (typeof merge !== 'string' && !(Array.isArray(merge) && merge.length === 2 && typeof merge[0] === 'string' && typeof merge[1] === 'string')) {
      throw invalid(`merge ${i} is malformed (${describeValue(merge, 40)}); expected "a b" or ["a", "b"].`);
    }
  }
  if (m.type !== 'WordPiece' && (m.continuing_subword_prefix || m.end_of_word_suffix)) {
    throw new TributaryError('tokenizer/unsupported', 'BPE with continuing_subword_prefix / end_of_word_suffix is not supported.', 'tokenizer.json');
  }
  if (j.added_tokens !== undefined) {
    if (!Array.isArray(j.added_tokens)) throw invalid('added_tokens is not a list.');
    for (const t of j.added_tokens) {
      if (typeof t !== 'object' || t === null || !Number.isInteger(t.id) || t.id < 0 || typeof t.content !== 'string') {
        throw invalid('an entry of added_tokens lacks an integer "id" or a string "content".');
      }
      if (t.id >= TOKENIZER_LIMITS.maxTokenId) throw invalid(`the added token ${describeValue(t.content)} has the id ${t.id}; ids must be below ${TOKENIZER_LIMITS.maxTokenId}.`);
    }
  }
}

/** Builds a tokenizer from the text or parsed object of a `tokenizer.json`. */
export function loadTokenizer(json: string | TokenizerJson): Tokenizer {
  let parsed: unknown = json;
  if (typeof json === 'string') {
    try {
      parsed = JSON.parse(json);
    } catch (e) {
      throw invalid(`It is not valid JSON (${(e as Error).message}).`);
    }
  }
  return new Tokenizer(parsed as TokenizerJson);
}

/**
 * The GPT-2 tokenizer from OpenAI's original files: `encoder.json` (token -> id) and `vocab.bpe`
 * (a `#version` line, then one merge "a b" per line). `<|endoftext|>` (id 50256) is a special token.
 */
export function fromGpt2Files(encoderJson: string | Record<string, number>, vocabBpe: string): Tokenizer {
  let vocab: Record<string, number>;
  if (typeof encoderJson === 'string') {
    try {
      vocab = JSON.parse(encoderJson) as Record<string, number>;
    } catch (e) {
      throw new TributaryError('tokenizer/invalid', `encoder.json is not valid JSON (${(e as Error).message}).`, 'encoder.json');
    }
  } else {
    vocab = encoderJson;
  }
  const merges: string[] = [];
  for (const line of vocabBpe.split('\n')) {
    const l = line.replace(/\r$/, '');
    if (l.length === 0 || l.startsWith('#version')) continue;
    merges.push(l);
  }
  const added: TokenizerJson['added_tokens'] = [];
  const eot = vocab['<|endoftext|>'];
  if (eot !== undefined) added.push({ id: eot, content: '<|endoftext|>', special: true, normalized: false });
  return new Tokenizer({
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, use_regex: true, trim_offsets: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', vocab, merges, unk_token: null },
  });
}
