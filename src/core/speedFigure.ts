/**
 * A decode speed always travels with the backend that produced it: a figure measured on the CPU can never be shown
 * as the speed of WebGPU after the engine switched back (or the other way round).
 */
export type SpeedBackend = 'webgpu' | 'cpu';

export interface SpeedFigure {
  tokensPerSecond: number;
  backend: SpeedBackend;
}

/** A figure, or null when there is no finite positive speed to report. */
export function speedFigure(tokensPerSecond: number | null | undefined, backend: SpeedBackend | null | undefined): SpeedFigure | null {
  if (tokensPerSecond === null || tokensPerSecond === undefined || !backend || !Number.isFinite(tokensPerSecond) || tokensPerSecond <= 0) return null;
  return { tokensPerSecond, backend };
}

export const backendName = (b: SpeedBackend): string => (b === 'webgpu' ? 'WebGPU' : 'the CPU');

/**
 * What the speed line says, given the figures newest last and the backend running now: the newest figure of the
 * current backend; or, when it has none yet, that it has none and the newest figure with its own backend named.
 */
export function describeSpeed(figures: readonly (SpeedFigure | null)[], current: SpeedBackend | null): { text: string; figure: SpeedFigure | null } {
  const known = figures.filter((f): f is SpeedFigure => f !== null);
  const fmt = (f: SpeedFigure) => `${f.tokensPerSecond.toFixed(1)} tokens/s on ${backendName(f.backend)}`;
  const latest = known.at(-1) ?? null;
  if (!current) return latest ? { text: fmt(latest), figure: latest } : { text: 'no answer yet', figure: null };
  const onCurrent = [...known].reverse().find((f) => f.backend === current) ?? null;
  if (onCurrent) return { text: fmt(onCurrent), figure: onCurrent };
  if (latest) return { text: `no answer on ${backendName(current)} yet (last: ${fmt(latest)})`, figure: latest };
  return { text: 'no answer yet', figure: null };
}
