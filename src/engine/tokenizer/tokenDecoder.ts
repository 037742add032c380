import { describeValue } from '../../core/describeValue.ts';
import { TributaryError } from '../../core/errors.ts';
import { byteLevelTokenBytes } from './byteLevel.ts';
import type { DecoderJson, RegexOrString } from './types.ts';

/**
 * How token strings turn back into text, built from a `tokenizer.json` `decoder`:
 * - ByteLevel (GPT-2, Llama 3, Qwen, SmolLM2): each character of a token stands for one byte;
 * - SentencePiece-style BPE (Llama 2, TinyLlama, Mistral): `Replace("▁", " ")`, `ByteFallback` (a token
 *   `<0xE2>` is the raw byte 0xE2), `Fuse`, then `Strip(" ", 1, 0)` — or the single `Metaspace` decoder that
 *   does the same. `Fuse` joins all tokens into one string first, so `Strip` acts on the whole output:
 *   `stripStart` leading spaces of the text are dropped, once, at its start.
 */
export interface TokenDecoder {
  /** UTF-8 bytes of one token's string */
  bytes(token: string): Uint8Array;
  /** number of leading U+0020 to drop from the start of the decoded text */
  stripStart: number;
}

const encoder = new TextEncoder();
const BYTE_TOKEN = /^<0x([0-9A-Fa-f]{2})>$/;

function unsupported(type: unknown): TributaryError {
  return new TributaryError(
    'tokenizer/unsupported',
    `the decoder of type "${String(type)}" is not supported (Tributary reads ByteLevel, Metaspace and Replace/ByteFallback/Fuse/Strip decoders).`,
    'tokenizer.json',
  );
}

function literal(p: RegexOrString): string {
  if ('String' in p && typeof p.String === 'string') return p.String;
  // only literal replacements appear in SentencePiece-style decoders; a regex here would be a new kind of file
  throw new TributaryError('tokenizer/unsupported', 'a Replace decoder with a regex pattern is not supported (only {"String": ...}).', 'tokenizer.json');
}

/** Flattens a decoder (and nested Sequences) into its steps. */
function steps(d: DecoderJson): DecoderJson[] {
  if (d.type === 'Sequence') return ((d as { decoders?: DecoderJson[] }).decoders ?? []).flatMap(steps);
  return [d];
}

/** The decoder of a `tokenizer.json`; `byteLevel` says whether its pre-tokenizer maps text to bytes. */
export function buildTokenDecoder(cfg: DecoderJson | null | undefined, byteLevel: boolean): TokenDecoder {
  const list = cfg ? steps(cfg) : [];
  if (list.length === 1 && list[0]!.type === 'WordPiece') {
    // a prefixed piece continues the word before it, any other starts a new word (HF's `cleanup` of spaces before
    // punctuation is not applied: decoding only shows text, and encoders never decode)
    const declared = (list[0] as { prefix?: unknown }).prefix;
    const prefix = typeof declared === 'string' ? declared : '##';
    return { bytes: (token) => encoder.encode(token.startsWith(prefix) ? token.slice(prefix.length) : ` ${token}`), stripStart: 1 };
  }
  if (list.some((s) => s.type === 'ByteLevel')) {
    const other = list.find((s) => s.type !== 'ByteLevel');
    if (other) throw unsupported(other.type);
    return { bytes: byteLevelTokenBytes, stripStart: 0 };
  }
  if (list.length === 0 && byteLevel) return { bytes: byteLevelTokenBytes, stripStart: 0 };

  const replaces: Array<[string, string]> = [];
  let byteFallback = false;
  let stripStart = 0;
  for (const s of list) {
    switch (s.type) {
      case 'Replace': {
        const c = s as { pattern?: unknown; content?: unknown };
        if (typeof c.pattern !== 'object' || c.pattern === null) {
          throw new TributaryError('tokenizer/invalid', 'a Replace decoder has no pattern.', 'tokenizer.json');
        }
        replaces.push([literal(c.pattern as RegexOrString), String(c.content)]);
        break;
      }
      case 'ByteFallback':
        byteFallback = true;
        break;
      case 'Fuse':
        break; // we decode to one byte string anyway
      case 'Strip': {
        const c = s as { content?: unknown; start?: unknown; stop?: unknown };
        if (c.content !== ' ' || !Number.isInteger(c.stop) || c.stop !== 0 || !Number.isInteger(c.start)) {
          throw new TributaryError('tokenizer/unsupported', `the Strip decoder is only supported as Strip(" ", n, 0) (got ${describeValue(s)}).`, 'tokenizer.json');
        }
        stripStart += c.start as number;
        break;
      }
      case 'Metaspace': {
        const c = s as { replacement?: unknown; prepend_scheme?: unknown; add_prefix_space?: unknown };
        replaces.push([typeof c.replacement === 'string' ? c.replacement : '\u2581', ' ']);
        // older files say add_prefix_space, newer ones prepend_scheme; either way the first space is the prefix
        const prefix = c.prepend_scheme !== undefined ? c.prepend_scheme !== 'never' : c.add_prefix_space !== false;
        if (prefix) stripStart += 1;
        break;
      }
      default:
        throw unsupported(s.type);
    }
  }
  const apply = (t: string): string => replaces.reduce((acc, [from, to]) => acc.split(from).join(to), t);
  return {
    bytes: (token) => {
      if (byteFallback) {
        const m = BYTE_TOKEN.exec(token);
        if (m) return Uint8Array.of(parseInt(m[1]!, 16));
      }
      return encoder.encode(apply(token));
    },
    stripStart,
  };
}
