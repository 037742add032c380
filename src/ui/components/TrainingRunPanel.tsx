import { Show } from 'solid-js';
import type { LossPoint, TrainingRunSummary } from '../../store/trainingRuns.ts';
import { plural } from '../lib/format.ts';
import { LossCurveChart } from './LossCurveChart.tsx';

export interface LiveProgress {
  step: number;
  totalSteps: number;
  tokensPerSecond: number | null;
  etaMs: number | null;
  lr: number | null;
  resumedFrom: number | null;
  backend: string | null;
}

interface Props {
  run: TrainingRunSummary;
  /** the curve to draw (live while this page drives the run, else as stored up to the last checkpoint) */
  train: readonly LossPoint[];
  heldOut: readonly LossPoint[];
  live: LiveProgress | null;
  /** while this page drives the run's first phase: the base model's answers to its general questions so far */
  prior: { answered: number; total: number } | null;
  /** trains in this engine worker now */
  trainingHere: boolean;
  /** another tab or window of the app trains it now */
  trainingElsewhere: boolean;
  busy: boolean;
  onPause: () => void;
  onResume: () => void;
  onCancel: () => void;
}

function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${s % 60} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** Status of one run: its live loss curve (train and held-out), speed, ETA, and pause / resume / cancel. */
export function TrainingRunPanel(props: Props) {
  const interrupted = () => props.run.status === 'running' && !props.trainingHere && !props.trainingElsewhere;
  /** general questions the base has not answered yet (a run stopped in its first phase) */
  const priorLeft = () => {
    const p = props.run.prior;
    return p && p.skipped === null ? p.prompts.length - p.answers.length : 0;
  };
  const priorSoFar = () => `${props.run.prior?.answers.length ?? 0} of ${props.run.prior?.prompts.length ?? 0}`;
  const status = () => {
    if (props.trainingHere) {
      if (props.prior && !props.live) return `Answering ${props.prior.total} general questions with the base model (${props.prior.answered}/${props.prior.total})`;
      return props.live ? `Training: step ${props.live.step} of ${props.live.totalSteps}` : 'Preparing the trainer…';
    }
    if (props.trainingElsewhere) return `Training in another tab or window of this app (checkpoint at step ${props.run.checkpointStep ?? 0} of ${props.run.totalSteps}); pause it there to continue it here`;
    if (interrupted() && props.run.checkpointStep === null && priorLeft() > 0) {
      return `Interrupted (the page was closed or reloaded) while the base model answered its general questions (${priorSoFar()}) — resumes with the rest`;
    }
    if (interrupted()) return `Interrupted (the page was closed or reloaded) — resumes from its checkpoint at step ${props.run.checkpointStep ?? 0} of ${props.run.totalSteps}`;
    switch (props.run.status) {
      case 'paused':
        if (props.run.checkpointStep === null && priorLeft() > 0) return `Paused while the base model answered its general questions (${priorSoFar()})`;
        return `Paused at step ${props.run.checkpointStep ?? props.run.step} of ${props.run.totalSteps}`;
      case 'done':
        return `Done: ${plural(props.run.totalSteps, 'step')}`;
      case 'cancelled':
        return 'Cancelled';
      case 'failed':
        return `Failed at step ${props.run.step}: ${props.run.error ?? 'unknown error'} — it can resume from its last checkpoint`;
      default:
        return props.run.status;
    }
  };
  const canResume = () =>
    !props.trainingHere && !props.trainingElsewhere && (props.run.status === 'paused' || props.run.status === 'failed' || interrupted()) && (props.run.checkpointStep !== null || priorLeft() > 0);
  /** what the run does about prior preservation, in words */
  const priorNote = () => {
    const p = props.run.prior;
    if (!p) return 'No prior preservation: it trains on its Datanets only.';
    if (p.skipped !== null) return `No prior preservation: ${p.skipped}.`;
    if (priorLeft() > 0) return `Prior preservation: the base model has answered ${priorSoFar()} general questions; the adapter trains on those answers beside its Datanets.`;
    return `Prior preservation: trains on the base model's answers to ${plural(p.prompts.length, 'general question')} beside its Datanets.`;
  };
  return (
    <section class="card mf-run" aria-labelledby="mf-run-title" id="mf-run" data-run={props.run.id} data-status={props.trainingHere ? 'training' : props.trainingElsewhere ? 'elsewhere' : interrupted() ? 'interrupted' : props.run.status}>
      <h2 id="mf-run-title">
        Run: {props.run.name}
      </h2>
      <p class="mf-run-status" id="mf-run-status" role="status">
        {status()}
      </p>
      <p class="hint" id="mf-prior" data-prior={props.run.prior === null ? 'off' : props.run.prior.skipped !== null ? 'skipped' : priorLeft() > 0 ? 'answering' : 'ready'}>
        {priorNote()}
      </p>
      <div class="mf-stats">
        <span>
          Step <strong id="mf-step">{props.live?.step ?? props.train.at(-1)?.step ?? 0}</strong> / <span id="mf-total-steps">{props.live?.totalSteps ?? props.run.totalSteps}</span>
        </span>
        <span>
          Train loss <strong id="mf-train-loss">{props.train.at(-1) ? props.train.at(-1)!.loss.toFixed(3) : '—'}</strong>
        </span>
        <span>
          Held-out loss <strong id="mf-heldout-loss">{props.heldOut.at(-1) ? props.heldOut.at(-1)!.loss.toFixed(3) : '—'}</strong>
        </span>
        <Show when={props.trainingHere && props.live}>
          {(l) => (
            <>
              <span>
                <strong id="mf-tps">{l().tokensPerSecond === null ? '—' : l().tokensPerSecond!.toFixed(0)}</strong> tokens/s
              </span>
              <span>
                ETA <strong id="mf-eta">{l().etaMs === null ? '—' : duration(l().etaMs!)}</strong>
              </span>
              <Show when={l().backend}>
                <span class="muted">on {l().backend === 'webgpu' ? 'WebGPU' : 'the CPU'}</span>
              </Show>
            </>
          )}
        </Show>
      </div>
      <LossCurveChart
        train={props.train}
        heldOut={props.heldOut}
        totalSteps={props.live?.totalSteps ?? props.run.totalSteps}
        baseHeldOut={props.run.baseHeldOutLoss}
        resumedAt={props.live?.resumedFrom ?? null}
      />
      <div class="mf-actions">
        <Show when={props.trainingHere}>
          <button type="button" class="btn btn-secondary" id="mf-pause" onClick={() => props.onPause()}>
            Pause
          </button>
        </Show>
        <Show when={canResume()}>
          <button type="button" class="btn btn-primary" id="mf-resume" disabled={props.busy} onClick={() => props.onResume()}>
            Resume from step {props.run.checkpointStep ?? 0}
          </button>
        </Show>
        <Show when={props.run.status !== 'done' && props.run.status !== 'cancelled' && !props.trainingElsewhere}>
          <button type="button" class="btn btn-reject" id="mf-cancel" disabled={props.busy && !props.trainingHere} onClick={() => props.onCancel()}>
            Cancel run
          </button>
        </Show>
      </div>
    </section>
  );
}
