/**
 * Geometry of a loss-curve chart (pure, so it is tested without a DOM): the train and held-out series share one x
 * axis (optimizer step, 0 … the run's total steps, so the chart does not rescale as a run advances) and one y axis
 * (loss, from a little under the lowest point to a little over the highest). Non-finite losses (a diverged step)
 * break the line rather than squash the axis.
 */
export interface CurvePoint {
  step: number;
  loss: number;
}

export interface CurveBox {
  width: number;
  height: number;
  pad: { left: number; right: number; top: number; bottom: number };
}

export interface CurveGeometry {
  /** SVG path of each series ('' when it has no finite point) */
  paths: string[];
  /** the last finite point of each series in SVG coordinates, or null */
  ends: ({ x: number; y: number } | null)[];
  xMax: number;
  yMin: number;
  yMax: number;
  /** y-axis labels: value and its SVG y */
  yTicks: { value: number; y: number }[];
}

export function lossCurveGeometry(series: readonly (readonly CurvePoint[])[], totalSteps: number, box: CurveBox): CurveGeometry {
  const finite = series.flat().filter((p) => Number.isFinite(p.loss) && Number.isFinite(p.step));
  const xMax = Math.max(1, totalSteps, ...finite.map((p) => p.step));
  let lo = Math.min(...finite.map((p) => p.loss));
  let hi = Math.max(...finite.map((p) => p.loss));
  if (finite.length === 0) {
    lo = 0;
    hi = 1;
  }
  const span = hi - lo;
  const margin = span > 0 ? span * 0.08 : Math.max(Math.abs(hi) * 0.1, 0.1);
  const yMin = Math.max(0, lo - margin);
  const yMax = hi + margin;
  const plotW = box.width - box.pad.left - box.pad.right;
  const plotH = box.height - box.pad.top - box.pad.bottom;
  const x = (s: number): number => box.pad.left + (plotW * s) / xMax;
  const y = (l: number): number => box.pad.top + plotH * (1 - (l - yMin) / (yMax - yMin));
  const paths: string[] = [];
  const ends: ({ x: number; y: number } | null)[] = [];
  for (const s of series) {
    let d = '';
    let pen = false;
    let end: { x: number; y: number } | null = null;
    for (const p of s) {
      if (!Number.isFinite(p.loss) || !Number.isFinite(p.step)) {
        pen = false;
        continue;
      }
      const px = x(p.step);
      const py = y(p.loss);
      d += `${d ? ' ' : ''}${pen ? 'L' : 'M'}${px.toFixed(1)},${py.toFixed(1)}`;
      pen = true;
      end = { x: px, y: py };
    }
    paths.push(d);
    ends.push(end);
  }
  const yTicks = [0, 0.5, 1].map((f) => {
    const value = yMin + (yMax - yMin) * f;
    return { value, y: y(value) };
  });
  return { paths, ends, xMax, yMin, yMax, yTicks };
}
