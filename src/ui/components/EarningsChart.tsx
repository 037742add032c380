import { For, Show, createMemo } from 'solid-js';
import type { EarningsPoint } from '../../core/ledger.ts';
import { formatDate } from '../lib/format.ts';
import { fmtToken } from '../lib/ledgerView.ts';

interface Props {
  points: EarningsPoint[];
  token: { symbol: string; decimals: number };
}

/** `1234.5` -> `1.23k`, `0.00012` -> `0.00012`: short axis labels (exact values are in the tables). */
function compact(v: number): string {
  if (v === 0) return '0';
  if (v >= 1000) return new Intl.NumberFormat('en', { notation: 'compact', maximumSignificantDigits: 3 }).format(v);
  return Number(v.toPrecision(3)).toString();
}

const W = 640;
const H = 220;
const PAD = { left: 56, right: 16, top: 16, bottom: 34 };

/** Cumulative earnings per day as an SVG line chart (earned, and of it settled). Drawn here, no chart library. */
export function EarningsChart(props: Props) {
  // Plotting only: amounts become floats in whole tokens (the tables show exact values).
  const toNum = (v: bigint) => Number(v) / 10 ** props.token.decimals;
  const geometry = createMemo(() => {
    const pts = props.points;
    const max = pts.reduce((m, p) => (p.total > m ? p.total : m), 0n);
    const maxN = Math.max(toNum(max), 1e-18);
    const n = pts.length;
    const x = (i: number) => PAD.left + (n <= 1 ? (W - PAD.left - PAD.right) / 2 : (i * (W - PAD.left - PAD.right)) / (n - 1));
    const y = (v: bigint) => PAD.top + (H - PAD.top - PAD.bottom) * (1 - toNum(v) / maxN);
    const line = (pick: (p: EarningsPoint) => bigint) => pts.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(i).toFixed(1)},${y(pick(p)).toFixed(1)}`).join(' ');
    const area = n > 0 ? `${line((p) => p.total)} L${x(n - 1).toFixed(1)},${(H - PAD.bottom).toFixed(1)} L${x(0).toFixed(1)},${(H - PAD.bottom).toFixed(1)} Z` : '';
    return { max, x, y, total: line((p) => p.total), settled: line((p) => p.settled), area };
  });
  const last = () => props.points[props.points.length - 1];
  const label = () => {
    const l = last();
    return l
      ? `Cumulative earnings from ${formatDate(props.points[0]!.day)} to ${formatDate(l.day)}: ${fmtToken(l.total, props.token)} earned, ${fmtToken(l.settled, props.token)} of it settled.`
      : 'No earnings yet.';
  };

  return (
    <Show when={props.points.length > 0} fallback={<p class="empty">No earnings yet: they appear here when a fee pays you.</p>}>
      <figure class="earnings-chart">
        <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label()} preserveAspectRatio="xMidYMid meet">
          <line class="chart-axis" x1={PAD.left} y1={H - PAD.bottom} x2={W - PAD.right} y2={H - PAD.bottom} />
          <line class="chart-axis" x1={PAD.left} y1={PAD.top} x2={PAD.left} y2={H - PAD.bottom} />
          <line class="chart-grid" x1={PAD.left} y1={PAD.top} x2={W - PAD.right} y2={PAD.top} />
          <text class="chart-label" x={PAD.left - 6} y={PAD.top + 4} text-anchor="end">
            {compact(toNum(geometry().max))}
          </text>
          <text class="chart-label" x={PAD.left - 6} y={H - PAD.bottom} text-anchor="end">
            0
          </text>
          <text class="chart-label" x={PAD.left} y={H - 10} text-anchor="start">
            {formatDate(props.points[0]!.day)}
          </text>
          <text class="chart-label" x={W - PAD.right} y={H - 10} text-anchor="end">
            {formatDate(last()!.day)}
          </text>
          <path class="chart-area" d={geometry().area} />
          <path class="chart-line chart-line-total" d={geometry().total} />
          <path class="chart-line chart-line-settled" d={geometry().settled} />
          <For each={props.points}>
            {(p, i) => (
              <circle class="chart-dot" cx={geometry().x(i())} cy={geometry().y(p.total)} r="2.5">
                <title>
                  {formatDate(p.day)}: {fmtToken(p.total, props.token)} earned, {fmtToken(p.settled, props.token)} settled
                </title>
              </circle>
            )}
          </For>
        </svg>
        <figcaption class="chart-legend">
          <span class="legend-total">Earned (all fees)</span>
          <span class="legend-settled">Of it settled on chain</span>
        </figcaption>
      </figure>
    </Show>
  );
}
