import { For, Show, createMemo } from 'solid-js';
import { lossCurveGeometry, type CurvePoint } from '../../core/lossCurve.ts';

interface Props {
  train: readonly CurvePoint[];
  heldOut: readonly CurvePoint[];
  /** the run's total optimizer steps (the x axis spans the whole run) */
  totalSteps: number;
  /** held-out loss of the base model, drawn as a dashed reference line */
  baseHeldOut?: number | null;
  /** the step the run resumed from, marked on the axis */
  resumedAt?: number | null;
}

const W = 640;
const H = 240;
const PAD = { left: 48, right: 16, top: 14, bottom: 32 };
const fmt = (v: number) => (Number.isFinite(v) ? Number(v.toPrecision(3)).toString() : String(v));

/** Train and held-out loss against optimizer steps, as an SVG line chart (drawn here, no chart library). */
export function LossCurveChart(props: Props) {
  const g = createMemo(() => {
    const base = props.baseHeldOut;
    const baseline = base !== undefined && base !== null && Number.isFinite(base) ? [{ step: 0, loss: base }, { step: Math.max(1, props.totalSteps), loss: base }] : [];
    return lossCurveGeometry([props.train, props.heldOut, baseline], props.totalSteps, { width: W, height: H, pad: PAD });
  });
  const xOf = (step: number) => PAD.left + ((W - PAD.left - PAD.right) * step) / g().xMax;
  const lastTrain = () => props.train.at(-1);
  const lastHeld = () => props.heldOut.at(-1);
  const label = () => {
    const t = lastTrain();
    if (!t) return 'Loss curve: no step yet.';
    const h = lastHeld();
    return `Loss curve: train loss ${fmt(t.loss)} at step ${t.step} of ${props.totalSteps}${h ? `, held-out loss ${fmt(h.loss)} at step ${h.step}` : ''}.`;
  };
  return (
    <figure class="mf-loss-chart" data-train-points={props.train.length} data-heldout-points={props.heldOut.length}>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label()} preserveAspectRatio="xMidYMid meet">
        <line class="chart-axis" x1={PAD.left} y1={H - PAD.bottom} x2={W - PAD.right} y2={H - PAD.bottom} />
        <line class="chart-axis" x1={PAD.left} y1={PAD.top} x2={PAD.left} y2={H - PAD.bottom} />
        <For each={g().yTicks}>
          {(t) => (
            <>
              <line class="chart-grid" x1={PAD.left} y1={t.y} x2={W - PAD.right} y2={t.y} />
              <text class="chart-label" x={PAD.left - 6} y={t.y + 4} text-anchor="end">
                {fmt(t.value)}
              </text>
            </>
          )}
        </For>
        <text class="chart-label" x={PAD.left} y={H - 10} text-anchor="start">
          step 0
        </text>
        <text class="chart-label" x={W - PAD.right} y={H - 10} text-anchor="end">
          step {g().xMax}
        </text>
        <Show when={props.resumedAt}>
          {(s) => (
            <>
              <line class="mf-resume-mark" x1={xOf(s())} y1={PAD.top} x2={xOf(s())} y2={H - PAD.bottom} />
              <text class="chart-label" x={xOf(s()) + 4} y={PAD.top + 10}>
                resumed
              </text>
            </>
          )}
        </Show>
        <path class="mf-line mf-line-base" d={g().paths[2]} />
        <path class="mf-line mf-line-train" d={g().paths[0]} />
        <path class="mf-line mf-line-heldout" d={g().paths[1]} />
        <For each={props.heldOut}>{(p) => (Number.isFinite(p.loss) ? <circle class="mf-dot-heldout" cx={xOf(p.step)} cy={yOf(g(), p.loss)} r="3" /> : null)}</For>
      </svg>
      <figcaption class="chart-legend">
        <span class="mf-legend-train">Train loss</span>
        <span class="mf-legend-heldout">Held-out loss</span>
        <Show when={props.baseHeldOut !== undefined && props.baseHeldOut !== null}>
          <span class="mf-legend-base">Base model, held-out</span>
        </Show>
      </figcaption>
    </figure>
  );
}

function yOf(g: { yMin: number; yMax: number }, loss: number): number {
  return PAD.top + (H - PAD.top - PAD.bottom) * (1 - (loss - g.yMin) / (g.yMax - g.yMin));
}
