/**
 * The attribution of chat answers, off the streaming path: when an answer's stream has ended, `traceAnswer`
 * asks the attribution worker for its record, then the ledger stores the record and, when the model or
 * adapter is priced, adds the answer's pending fee split by it. The attribution panel under the answer reads
 * `answerAttribution(requestId)`; nothing here ever delays a token.
 *
 * The tracer is the attribution worker's `attributeAnswer` (client/attributionClient), given the engine
 * worker's `embedTexts` and `answerGradient` for the model's embeddings and gradient influence; the first
 * answer about a Datanet version loads or builds its indexes (progress shown in the panel).
 */
import { createStore } from 'solid-js/store';
import type { IndexProgress, MethodReport } from '../../workerApi/attributionApi.ts';
import { getAttributionApi } from '../../client/attributionClient.ts';
import { getEngineApi } from '../../client/engineClient.ts';
import type { RecordedAnswer } from '../../workerApi/ledgerApi.ts';
import { getLedgerApi } from '../../client/ledgerClient.ts';
import type { AttributionRecord } from '../../core/attribution/types.ts';
import type { Address } from '../../core/types.ts';
import { getDb } from '../../store/db.ts';
import { chainConfig } from './ledgerChain.ts';
import { attributionEncoder } from './attributionEncoder.ts';

export type AnswerAttributionState =
  | { status: 'tracing'; since: number; progress?: IndexProgress }
  | { status: 'done'; record: AttributionRecord; methods: MethodReport[]; recorded: RecordedAnswer; answer: string; ms: number }
  | { status: 'error'; error: unknown }
  | { status: 'unavailable'; why: string };

const [states, setStates] = createStore<Record<string, AnswerAttributionState>>({});

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
export async function tracedDatanets(): Promise<string[]> {
  const all = await getDb().datanets.toArray();
  return all.filter((d) => d.currentVersion > 0).map((d) => d.id);
}

/**
 * Traces a finished answer and records it (fire and forget: the chat never waits for it). Idempotent per
 * request id.
 */
export async function traceAnswer(input: TraceAnswerInput): Promise<void> {
  if (states[input.requestId]) return;
  const since = performance.now();
  setStates(input.requestId, { status: 'tracing', since });
  try {
    const datanetIds = await tracedDatanets();
    if (datanetIds.length === 0) {
      setStates(input.requestId, { status: 'unavailable', why: 'No Datanet here has a published version to trace answers against.' });
      return;
    }
    // the loaded model's embeddings and the answer's LoRA gradient come from the engine worker, through here
    const engine = getEngineApi();
    const { record, methods, embeddingQuery, influenceGradient } = await getAttributionApi().attributeAnswer(
      { prompt: input.prompt, answer: input.answer, modelId: input.modelId, adapterId: input.adapterId, datanetIds, encoder: attributionEncoder() },
      (progress) => setStates(input.requestId, { status: 'tracing', since, progress }),
      (texts) => engine.embedTexts(texts),
      (req) => engine.answerGradient(req),
    );
    const recorded = await getLedgerApi().recordAnswer(chainConfig() ?? null, {
      answerId: input.requestId,
      prompt: input.prompt,
      answer: input.answer,
      record,
      payer: input.payer ?? null,
      modelId: input.modelId,
      adapterId: input.adapterId,
      embeddingQuery,
      influenceGradient,
    });
    setStates(input.requestId, { status: 'done', record, methods, recorded, answer: input.answer, ms: Math.round(performance.now() - since) });
  } catch (error) {
    setStates(input.requestId, { status: 'error', error });
  }
}
