import { For, Show, createMemo, createSignal } from 'solid-js';
import type { RecordedAnswer } from '../../../workerApi/ledgerApi.ts';
import type { IndexPhase, MethodReport } from '../../../workerApi/attributionApi.ts';
import { ATTRIBUTION_METHODS, type AttributionMethod, type AttributionRecord } from '../../../core/attribution/types.ts';
import type { Hex } from '../../../core/types.ts';
import { getDb } from '../../../store/db.ts';
import { exportRecordFile } from '../../../store/recordExport.ts';
import { downloadBytes } from '../../lib/download.ts';
import { answerAttribution } from '../../lib/answerAttribution.ts';
import { displayAddress } from '../../lib/identity.ts';
import { createTokenInfo, fmtToken } from '../../lib/ledgerView.ts';
import { createLiveQuery } from '../../lib/liveQuery.ts';
import { ErrorAlert } from '../ErrorAlert.tsx';
import { AttributionBars, type Bar } from './AttributionBars.tsx';
import './attribution.css';
import { FeeSplitTable } from './FeeSplitTable.tsx';
import { HighlightedAnswer, type AnswerSpan } from './HighlightedAnswer.tsx';

const METHOD_NAMES: Record<AttributionMethod, string> = { span: 'Verbatim spans', bm25: 'BM25', embedding: 'Embeddings', influence: 'Gradient influence' };
const TOP = 6;
/** What each index phase is doing, in words (the progress line under a tracing answer). */
const PHASE_WORDS: Record<IndexPhase, string> = {
  download: 'downloading the ONNX sentence encoder for',
  text: 'reading the passages of',
  'suffix-array': 'building the span index of',
  bm25: 'building the BM25 index of',
  embedding: 'embedding the passages of',
  verify: 'checking the stored indexes of',
  write: 'storing the indexes of',
};
const pct = (ppm: number) => `${(ppm / 10_000).toFixed(1)} %`;

/** Titles of the credited contributions and the texts of the passages the spans point at. */
function createSources(record: () => AttributionRecord) {
  return createLiveQuery(
    () => record(),
    async (r) => {
      const db = getDb();
      const ids = r.credits.map((c) => c.contributionId);
      const contributions = await db.contributions.bulkGet(ids);
      const titles = new Map<Hex, string>();
      contributions.forEach((c, i) => titles.set(ids[i]!, c?.title ?? `${ids[i]!.slice(0, 10)}…`));
      const keys = r.credits.flatMap((c) => c.evidence.spans.map((s) => [s.passage.contributionId, s.passage.passageIndex] as [Hex, number]));
      const passages = keys.length > 0 ? await db.chunks.bulkGet(keys) : [];
      const texts = new Map<string, string>();
      passages.forEach((p, i) => p && texts.set(`${keys[i]![0]}:${keys[i]![1]}`, p.text));
      return { titles, texts };
    },
  );
}

/**
 * The receipt panel under a chat answer: it arrives after the stream has ended and shows what the answer's
 * attribution record says — the top contributions (bar chart), the matched spans highlighted in the answer
 * and linked to their passages, each method's scores (and which methods could not run, and why), the
 * unattributed share, and the fee split.
 */
export function AttributionPanel(props: { requestId: string }) {
  const state = () => answerAttribution(props.requestId);
  const token = createTokenInfo();
  return (
    <Show when={state()}>
      {(s) => (
        <section class="attribution-panel" aria-label="Attribution record" data-status={s().status}>
          <Show when={(() => { const x = s(); return x.status === 'tracing' ? x : undefined; })()}>
            {(t) => (
              <p class="small muted" role="status">
                Tracing this answer to the Datanets…
                <Show when={t().progress}>
                  {(p) => (
                    <>
                      {' '}
                      {PHASE_WORDS[p().phase]} {p().datanetId}: {p().total > 0 ? Math.round((100 * p().done) / p().total) : 0} %
                      <progress max={Math.max(1, p().total)} value={p().done} aria-label={`${PHASE_WORDS[p().phase]} ${p().datanetId}`} />
                    </>
                  )}
                </Show>
              </p>
            )}
          </Show>
          <Show when={(() => { const x = s(); return x.status === 'unavailable' ? x : undefined; })()}>
            {(u) => <p class="small muted">Not traced: {u().why}</p>}
          </Show>
          <Show when={(() => { const x = s(); return x.status === 'error' ? x : undefined; })()}>
            {(e) => <ErrorAlert error={e().error} title="This answer could not be traced" />}
          </Show>
          <Show when={(() => { const x = s(); return x.status === 'done' ? x : undefined; })()}>
            {(done) => <AttributionDetails record={done().record} methods={done().methods} answer={done().answer} recorded={done().recorded} ms={done().ms} token={token()} />}
          </Show>
        </section>
      )}
    </Show>
  );
}

/** Which methods traced this answer, with what, and which could not and why. */
function MethodStatusList(props: { methods: MethodReport[] }) {
  return (
    <ul class="attribution-method-status small" aria-label="Attribution methods">
      <For each={props.methods}>
        {(m) => (
          <li data-method={m.method} data-status={m.status}>
            <strong>{METHOD_NAMES[m.method]}</strong>: {m.status === 'used' ? 'used' : 'not available'}
            <span class="muted"> — {m.detail}</span>
          </li>
        )}
      </For>
    </ul>
  );
}

function AttributionDetails(props: {
  record: AttributionRecord;
  methods: MethodReport[];
  answer: string;
  recorded: RecordedAnswer;
  ms: number;
  token: { symbol: string; decimals: number };
}) {
  const sources = createSources(() => props.record);
  const title = (id: Hex) => sources()?.titles.get(id) ?? `${id.slice(0, 10)}…`;
  const credits = createMemo(() => [...props.record.credits].sort((a, b) => b.weightPpm - a.weightPpm));
  const bars = createMemo((): Bar[] => [
    ...credits()
      .slice(0, TOP)
      .map((c) => ({ key: c.contributionId, label: title(c.contributionId), ppm: c.weightPpm })),
    ...(props.record.unattributedPpm > 0 ? [{ key: 'unattributed', label: 'Unattributed', ppm: props.record.unattributedPpm, muted: true }] : []),
  ]);
  const spans = createMemo((): AnswerSpan[] =>
    props.record.credits.flatMap((c) =>
      c.evidence.spans.map((s) => {
        const passageText = sources()?.texts.get(`${s.passage.contributionId}:${s.passage.passageIndex}`);
        return { ...s, datanetId: c.datanetId, source: title(c.contributionId), ...(passageText ? { passageText } : {}) };
      }),
    ),
  );
  const methods = createMemo(() => ATTRIBUTION_METHODS.filter((m) => props.record.methods.some((x) => x.method === m)));
  const score = (c: AttributionRecord['credits'][number], m: AttributionMethod) => c.evidence.scores.find((x) => x.method === m)?.valueMicro;
  return (
    <>
      <header class="attribution-header">
        <h3>Attribution</h3>
        <span class="small muted">
          {props.record.credits.length === 0 ? 'No contribution explains this answer' : `${props.record.credits.length} contribution${props.record.credits.length === 1 ? '' : 's'} credited`} · unattributed{' '}
          <strong data-testid="unattributed">{pct(props.record.unattributedPpm)}</strong> · traced in {props.ms} ms
        </span>
      </header>
      <Show when={spans().length > 0}>
        <HighlightedAnswer text={props.answer} spans={spans()} />
      </Show>
      <AttributionBars bars={bars()} title="Share of this answer's credit by contribution" />
      <MethodStatusList methods={props.methods} />
      <Show when={credits().length > 0}>
        <table class="table compact attribution-methods" aria-label="Evidence by method">
          <thead>
            <tr>
              <th scope="col">Contribution</th>
              <th scope="col">Contributor</th>
              <th scope="col" class="num">
                Weight
              </th>
              <For each={methods()}>
                {(m) => (
                  <th scope="col" class="num">
                    {METHOD_NAMES[m]}
                  </th>
                )}
              </For>
            </tr>
          </thead>
          <tbody>
            <For each={credits()}>
              {(c) => (
                <tr data-contribution={c.contributionId}>
                  <td>
                    <a href={`/datanets/${encodeURIComponent(c.datanetId)}`}>{title(c.contributionId)}</a>
                  </td>
                  <td class="mono" title={c.contributor}>
                    {displayAddress(c.contributor)}
                  </td>
                  <td class="num">{pct(c.weightPpm)}</td>
                  <For each={methods()}>{(m) => <td class="num">{score(c, m) === undefined ? '—' : (score(c, m)! / 1e6).toFixed(3)}</td>}</For>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </Show>
      <RecordExport hash={props.recorded.stored.hash} />
      <Show
        when={props.recorded.split}
        fallback={<p class="small muted">Free answer: this model{props.record.adapter ? ' and adapter have' : ' has'} no price, so no fee.</p>}
      >
        {(split) => (
          <>
            <FeeSplitTable split={split()} token={props.token} />
            <p class="small" data-testid="fee-status">
              <Show when={props.recorded.fee} fallback={<span class="muted">Not billed: {props.recorded.unbilled}</span>}>
                Pending fee of {fmtToken(split().fee, props.token)} added to the ledger for {displayAddress(props.recorded.fee!.payer)}: settle it with your other fees on the Ledger page.
              </Show>
            </p>
          </>
        )}
      </Show>
    </>
  );
}

/** Saves the record file (with its evidence) that `npm run cli -- verify-record` recomputes. */
function RecordExport(props: { hash: Hex }) {
  const [note, setNote] = createSignal<string | null>(null);
  const [error, setError] = createSignal<unknown>(null);
  const save = async () => {
    setError(null);
    try {
      const f = await exportRecordFile(getDb(), props.hash);
      downloadBytes(new TextEncoder().encode(f.text), f.fileName, 'application/json');
      setNote(
        f.missingVectors.length > 0
          ? `Saved ${f.fileName}; the passage vectors of ${f.missingVectors.join(', ')} are no longer kept here, so its embedding evidence cannot be checked.`
          : `Saved ${f.fileName}: check it with ${f.verifyCommand}.`,
      );
    } catch (e) {
      setError(e);
    }
  };
  return (
    <p class="small record-export">
      <span class="mono muted" title={props.hash}>
        Record {props.hash.slice(0, 10)}…
      </span>{' '}
      <button type="button" class="btn btn-ghost btn-small" onClick={() => void save()}>
        Export record
      </button>
      <Show when={note()}>
        <span class="muted" data-testid="record-export-note">
          {' '}
          {note()}
        </span>
      </Show>
      <Show when={error()}>{(e) => <ErrorAlert error={e()} />}</Show>
    </p>
  );
}
