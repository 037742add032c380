/**
 * The attribution of chat answers, off the streaming path: when an answer's stream has ended, `traceAnswer`
 * asks the attribution worker for its record, then the ledger stores the record and, when the model or
 * adapter is priced, adds the answer's pending fee split by it. The attribution panel under the answer reads
 * `answerAttribution(requestId)`; nothing here ever delays a token.
 *
 * The tracer is the attribution worker's `attributeAnswer` (client/attributionApi), handed in once at
 * startup with `setAnswerTracer`; without one the panel says that attribution is not available.
 */
import { createSignal } from 'solid-js';
import { createStore } from 'solid-js/store';
import type { AttributeRequest, AttributionApi } from '../../client/attributionApi.ts';
import type { RecordedAnswer } from '../../client/ledgerApi.ts';
import { getLedgerApi } from '../../client/ledgerClient.ts';
import type { AttributionRecord } from '../../core/attribution/types.ts';
import type { Address } from '../../core/types.ts';
import { getDb } from '../../store/db.ts';
import { chainConfig } from './ledgerChain.ts';

export type AnswerTracer = (req: AttributeRequest) => ReturnType<AttributionApi['attributeAnswer']>;

export type AnswerAttributionState =
  | { status: 'tracing'; since: number }
  | { status: 'done'; record: AttributionRecord; recorded: RecordedAnswer; answer: string; ms: number }
  | { status: 'error'; error: unknown }
  | { status: 'unavailable' };

const [tracer, setTracer] = createSignal<AnswerTracer>();
const [states, setStates] = createStore<Record<string, AnswerAttributionState>>({});

/** Wires the attribution worker (main.tsx does it once). */
export function setAnswerTracer(t: AnswerTracer | undefined): void {
  setTracer(() => t);
}

/** The attribution state of the answer with this chat request id (undefined before its stream ended). */
export function answerAttribution(requestId: string): AnswerAttributionState | undefined {
  return states[requestId];
}

export interface TraceAnswerInput {
  requestId: string;
  prompt: string;
  answer: string;
  /** The loaded model's id (ModelInfo.id): its price and its hidden states. */
  modelId: string;
  adapterId: string | null;
  /** Who pays for a priced answer: the active identity or wallet (none: the answer is not billed). */
  payer: Address | undefined;
}

/** Datanets to trace against: every Datanet here with a published version. */
async function tracedDatanets(): Promise<string[]> {
  const all = await getDb().datanets.toArray();
  return all.filter((d) => d.currentVersion > 0).map((d) => d.id);
}

/**
 * Traces a finished answer and records it (fire and forget: the chat never waits for it). Idempotent per
 * request id.
 */
export async function traceAnswer(input: TraceAnswerInput): Promise<void> {
  if (states[input.requestId]) return;
  const t = tracer();
  if (!t) {
    setStates(input.requestId, { status: 'unavailable' });
    return;
  }
  const since = performance.now();
  setStates(input.requestId, { status: 'tracing', since });
  try {
    const datanetIds = await tracedDatanets();
    const record = await t({ prompt: input.prompt, answer: input.answer, modelId: input.modelId, adapterId: input.adapterId, datanetIds });
    const recorded = await getLedgerApi().recordAnswer(chainConfig() ?? null, {
      answerId: input.requestId,
      prompt: input.prompt,
      answer: input.answer,
      record,
      payer: input.payer ?? null,
      modelId: input.modelId,
      adapterId: input.adapterId,
    });
    setStates(input.requestId, { status: 'done', record, recorded, answer: input.answer, ms: Math.round(performance.now() - since) });
  } catch (error) {
    setStates(input.requestId, { status: 'error', error });
  }
}
