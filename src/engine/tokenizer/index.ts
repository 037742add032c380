export { Tokenizer, loadTokenizer, fromGpt2Files, type EncodeOptions, type DecodeOptions, type StreamDecoder } from './tokenizer.ts';
export type { AddedToken } from './addedTokens.ts';
export type { TokenizerJson } from './types.ts';
