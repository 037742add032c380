/**
 * A text's token ids for a sentence encoder, at most `maxLength` of them: the tokenizer's own special tokens
 * (its post-processor, e.g. `[CLS] … [SEP]` or `<s> … </s>`) are kept, the text's tokens are cut to fit between
 * them. Special tokens written inside the text are read as plain text (passages and answers are untrusted).
 */
export interface EncoderTokenizer {
  encode(text: string, opts?: { addSpecialTokens?: boolean; splitSpecialTokens?: boolean }): number[];
}

export function encoderTokens(tokenizer: EncoderTokenizer, text: string, maxLength: number): number[] {
  const plain = tokenizer.encode(text, { splitSpecialTokens: true });
  const full = tokenizer.encode(text, { addSpecialTokens: true, splitSpecialTokens: true });
  if (full.length <= maxLength) return full;
  // where the text's own tokens sit among the specials the post-processor added
  let at = -1;
  for (let k = 0; k + plain.length <= full.length && at < 0; k++) {
    let same = true;
    for (let i = 0; i < plain.length && same; i++) same = full[k + i] === plain[i];
    if (same) at = k;
  }
  if (at < 0) return full.slice(0, maxLength);
  const prefix = full.slice(0, at);
  const suffix = full.slice(at + plain.length);
  const room = Math.max(0, maxLength - prefix.length - suffix.length);
  return [...prefix, ...plain.slice(0, room), ...suffix].slice(0, maxLength);
}
