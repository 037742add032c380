import { For } from 'solid-js';

export interface Bar {
  key: string;
  label: string;
  /** Integer parts per million. */
  ppm: number;
  /** Drawn apart (the unattributed share). */
  muted?: boolean;
}

const W = 520;
const ROW = 26;
const LABEL = 190;
const VALUE = 64;

/** Horizontal bars of shares (ppm of the answer's credit), drawn in SVG; exact values are in the text. */
export function AttributionBars(props: { bars: Bar[]; title: string }) {
  const h = () => Math.max(1, props.bars.length) * ROW + 4;
  const width = (ppm: number) => ((W - LABEL - VALUE) * ppm) / 1_000_000;
  return (
    <svg class="attribution-bars" viewBox={`0 0 ${W} ${h()}`} role="img" aria-label={props.title} width="100%" preserveAspectRatio="xMinYMin meet">
      <title>{props.title}</title>
      <For each={props.bars}>
        {(b, i) => (
          <g transform={`translate(0 ${i() * ROW + 2})`} data-contribution={b.key}>
            <text x={LABEL - 8} y={ROW / 2 + 4} text-anchor="end" class="attribution-bar-label">
              {b.label.length > 26 ? `${b.label.slice(0, 25)}…` : b.label}
            </text>
            <rect x={LABEL} y={4} width={Math.max(1, width(b.ppm))} height={ROW - 8} rx={3} class={b.muted ? 'attribution-bar muted' : 'attribution-bar'} />
            <text x={LABEL + width(b.ppm) + 6} y={ROW / 2 + 4} class="attribution-bar-value">
              {(b.ppm / 10_000).toFixed(1)} %
            </text>
          </g>
        )}
      </For>
    </svg>
  );
}
