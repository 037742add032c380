/**
 * Text normalisation. `normalizeText` runs once on every extracted or pasted text, so the stored text,
 * its chunk offsets and its hashes all refer to the same string. `normalizeForHash` is the identity used
 * for exact-duplicate detection: case and whitespace layout do not make a text new.
 */

/** A lone (unpaired) UTF-16 surrogate. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Canonical form of a text:
 * - lone surrogates (never valid text) become U+FFFD; byte-order marks (U+FEFF) removed;
 * - Unicode NFC;
 * - CRLF and lone CR become LF;
 * - whitespace at the end of each line removed (tabs inside a line are kept);
 * - three or more consecutive line breaks become one blank line;
 * - leading and trailing whitespace of the whole text trimmed.
 * Idempotent: `normalizeText(normalizeText(s)) === normalizeText(s)`.
 */
export function normalizeText(s: string): string {
  const unified = s
    .replace(LONE_SURROGATE, '\uFFFD')
    .replace(/\uFEFF/g, '')
    .normalize('NFC')
    .replace(/\r\n?/g, '\n');
  // Per-line trimEnd rather than /[^\S\n]+$/gm: that regex is quadratic on long inner whitespace runs.
  return unified
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/**
 * Form used for exact-duplicate identity: `normalizeText`, lower-cased, every whitespace run (line breaks
 * included) collapsed to one space. `textHash = sha256Text(normalizeForHash(text))`, and likewise each
 * chunk's `dedupeHash` (its integrity `hash` is over the exact text).
 */
export function normalizeForHash(s: string): string {
  return normalizeText(s).toLowerCase().replace(/\s+/g, ' ').trim();
}
