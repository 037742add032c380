/**
 * GPT-2's byte-level alphabet: every byte 0..255 maps to one printable character, so that any UTF-8
 * byte string becomes a string the BPE vocabulary can cover (the `bytes_to_unicode` table of GPT-2,
 * used by HF `ByteLevel` pre-tokenizer and decoder).
 */
function buildTables(): { byteToChar: string[]; charToByte: Map<string, number> } {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const cs = bs.slice();
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n);
      n++;
    }
  }
  const byteToChar: string[] = new Array<string>(256);
  const charToByte = new Map<string, number>();
  for (let i = 0; i < bs.length; i++) {
    const ch = String.fromCharCode(cs[i]!);
    byteToChar[bs[i]!] = ch;
    charToByte.set(ch, bs[i]!);
  }
  return { byteToChar, charToByte };
}

const tables = buildTables();

/** `BYTE_TO_CHAR[b]` is the byte-level character that stands for byte `b`. */
export const BYTE_TO_CHAR: readonly string[] = tables.byteToChar;
/** The inverse of `BYTE_TO_CHAR`. */
export const CHAR_TO_BYTE: ReadonlyMap<string, number> = tables.charToByte;

const encoder = new TextEncoder();

/** UTF-8 bytes of `text`, each written as its byte-level character. */
export function toByteLevel(text: string): string {
  const bytes = encoder.encode(text);
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += BYTE_TO_CHAR[bytes[i]!]!;
  return out;
}

/**
 * Bytes of a token string under the ByteLevel decoder: when every character belongs to the byte-level
 * alphabet they are mapped back to their bytes; otherwise (an added token written in plain text) the
 * token's own UTF-8 bytes are used, as HF `tokenizers` does.
 */
export function byteLevelTokenBytes(token: string): Uint8Array {
  const out = new Uint8Array(token.length);
  for (let i = 0; i < token.length; i++) {
    const b = CHAR_TO_BYTE.get(token[i]!);
    if (b === undefined) return encoder.encode(token);
    out[i] = b;
  }
  return out;
}
