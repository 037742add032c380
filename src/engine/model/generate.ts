/**
 * Streams generated token ids from a model: prefill the prompt, then one decode step per token, sampling with
 * `src/engine/sampling`. Stops on an end token (`stopTokens`, not emitted), a stop sequence (token ids
 * `stopSequences`, or text `stopStrings` with a `decode` function; the matched part is not emitted), `maxNewTokens`,
 * a full context, or `signal` abort. Tokens that might begin a stop sequence are held back until they cannot, so a
 * consumer never sees a stop sequence's first half. The generator's return value says why it finished.
 *
 * Between steps it yields to the event loop, so an abort message reaching a worker is seen within one step.
 * With `seq`, generation continues that conversation (the prompt is appended to it); afterwards the sequence holds
 * the prompt and every generated token except the last one sampled. Without `seq`, a fresh one is used and disposed.
 *
 * @example
 * const ctrl = new AbortController();
 * const it = generate(model, promptIds, { maxNewTokens: 64, sampling: { temperature: 0.7, seed: 1 }, stopTokens: [eos], signal: ctrl.signal });
 * for await (const id of it) show(id);
 */
import { TributaryError } from '../../core/errors.ts';
import { createSampler, type SamplingParams } from '../sampling/sample.ts';
import type { Model, RowLogits, Sequence } from './llama.ts';

export interface GenerateOptions {
  maxNewTokens: number;
  sampling?: SamplingParams;
  /** end-of-sequence ids: generation stops, the id is not emitted */
  stopTokens?: readonly number[];
  /** token-id sequences that end generation; not emitted */
  stopSequences?: readonly (readonly number[])[];
  /** strings that end generation (needs `decode`); tokens overlapping the match are not emitted */
  stopStrings?: readonly string[];
  decode?: (ids: readonly number[]) => string;
  adapterSlot?: number;
  signal?: AbortSignal;
  seq?: Sequence;
  /** tokens that count as history for the repetition penalty besides the prompt and output (default none) */
  history?: readonly number[];
}

export type FinishReason = 'eos' | 'stop' | 'length' | 'context' | 'abort';

export interface GenerateResult {
  finishReason: FinishReason;
  /** every emitted token */
  tokens: number[];
}

const yieldToEventLoop = (): Promise<void> =>
  new Promise((resolve) => {
    if (typeof setImmediate === 'function') setImmediate(resolve);
    else if (typeof MessageChannel === 'function') {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => {
        ch.port1.close();
        resolve();
      };
      ch.port2.postMessage(null);
    } else setTimeout(resolve, 0);
  });

/** True when `a` ends with the first `n` elements of `b`. */
function endsWithPrefix(a: readonly number[], from: number, b: readonly number[], n: number): boolean {
  if (a.length - from < n) return false;
  for (let i = 0; i < n; i++) if (a[a.length - n + i] !== b[i]) return false;
  return true;
}

/**
 * Given the output so far and how much of it was emitted (`emitted`), says how far it is safe to emit and whether a
 * stop sequence matched (then `stop` is true and `safe` is where the output ends).
 */
function checkStops(out: readonly number[], emitted: number, o: GenerateOptions): { safe: number; stop: boolean } {
  let safe = out.length;
  let stop = false;
  for (const s of o.stopSequences ?? []) {
    if (s.length === 0) continue;
    if (endsWithPrefix(out, emitted, s, s.length)) {
      const at = out.length - s.length;
      if (!stop || at < safe) safe = at;
      stop = true;
    }
  }
  if (!stop) {
    for (const s of o.stopSequences ?? []) {
      for (let n = Math.min(s.length - 1, out.length - emitted); n > 0; n--) {
        if (endsWithPrefix(out, emitted, s, n)) {
          safe = Math.min(safe, out.length - n);
          break;
        }
      }
    }
  }
  const strs = (o.stopStrings ?? []).filter((s) => s.length > 0);
  if (strs.length > 0 && o.decode) {
    const decode = o.decode;
    const text = decode(out);
    const emittedLen = decode(out.slice(0, emitted)).length;
    let cut = -1;
    for (const s of strs) {
      const j = text.indexOf(s, Math.max(0, emittedLen - s.length + 1));
      if (j >= 0 && (cut < 0 || j < cut)) cut = j;
    }
    let keepChars = text.length;
    if (cut >= 0) keepChars = cut;
    else {
      for (const s of strs) {
        for (let n = Math.min(s.length - 1, text.length - emittedLen); n > 0; n--) {
          if (text.endsWith(s.slice(0, n))) {
            keepChars = Math.min(keepChars, text.length - n);
            break;
          }
        }
      }
    }
    if (keepChars < text.length) {
      let m = emitted;
      while (m < out.length && decode(out.slice(0, m + 1)).length <= keepChars) m++;
      safe = Math.min(safe, m);
    }
    if (cut >= 0) stop = true;
  }
  return { safe: Math.max(safe, emitted), stop };
}

export async function* generate(model: Model, prompt: readonly number[], o: GenerateOptions): AsyncGenerator<number, GenerateResult> {
  if (!Number.isInteger(o.maxNewTokens) || o.maxNewTokens < 0) {
    throw new TributaryError('engine/bad-sampling', `maxNewTokens must be a whole number ≥ 0 (got ${o.maxNewTokens}).`);
  }
  if (prompt.length === 0) throw new TributaryError('engine/bad-sampling', 'The prompt is empty; give at least one token.');
  if ((o.stopStrings?.length ?? 0) > 0 && !o.decode) throw new TributaryError('engine/bad-sampling', 'Stop strings need a decode function.');
  const sampler = createSampler(o.sampling ?? {});
  const own = !o.seq;
  const seq = o.seq ?? model.createSequence();
  const stopTokens = new Set(o.stopTokens ?? []);
  const history = [...(o.history ?? []), ...prompt];
  const out: number[] = [];
  let emitted = 0;
  let finishReason: FinishReason = 'length';
  const slot = o.adapterSlot ?? -1;
  try {
    if (seq.length + prompt.length > seq.maxSeq) {
      throw new TributaryError('engine/context-full', `The prompt (${prompt.length} tokens) does not fit the remaining context (${seq.maxSeq - seq.length}); shorten it.`);
    }
    if (o.signal?.aborted) return { finishReason: 'abort', tokens: [] };
    // a sampler that can decide from a row's top candidates lets a GPU read back those instead of the whole row
    const K = sampler.candidatesWanted;
    const step = async (tokens: readonly number[]): Promise<RowLogits> => {
      if (K > 0) return (await model.forwardCandidates([{ seq, tokens, adapterSlot: slot }], K))[0]!;
      return tokens.length === 1 && seq.length > 0 ? model.decodeStep(tokens[0]!, seq, { adapterSlot: slot }) : model.prefill(tokens, seq, { adapterSlot: slot });
    };
    const pick = async (logits: RowLogits): Promise<number> => {
      if (logits instanceof Float32Array) return sampler.sample(logits, history);
      return sampler.sampleCandidates(logits, history) ?? sampler.sample(await logits.full(), history);
    };
    let logits = await step(prompt);
    for (;;) {
      if (o.signal?.aborted) {
        finishReason = 'abort';
        break;
      }
      if (out.length >= o.maxNewTokens) {
        finishReason = 'length';
        break;
      }
      const id = await pick(logits);
      if (stopTokens.has(id)) {
        finishReason = 'eos';
        break;
      }
      out.push(id);
      history.push(id);
      const { safe, stop } = checkStops(out, emitted, o);
      while (emitted < safe) yield out[emitted++]!;
      if (stop) {
        out.length = emitted;
        return { finishReason: 'stop', tokens: out };
      }
      if (out.length >= o.maxNewTokens) {
        finishReason = 'length';
        break;
      }
      if (seq.length + 1 > seq.maxSeq) {
        finishReason = 'context';
        break;
      }
      await yieldToEventLoop();
      if (o.signal?.aborted) {
        finishReason = 'abort';
        break;
      }
      logits = await step([id]);
    }
    // nothing matched: held-back tokens are ordinary output
    while (emitted < out.length) yield out[emitted++]!;
    return { finishReason, tokens: out };
  } finally {
    if (own) seq.dispose();
  }
}
