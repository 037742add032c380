/**
 * The palette of styles.css, in light and dark: every text colour on every background colour it is used on
 * meets WCAG AA for normal text (4.5:1). axe checks the pages as rendered (tests/e2e/a11y.e2e.ts); this
 * checks every pairing the palette allows, in both schemes, so a badge or alert added later starts compliant.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const css = readFileSync(new URL('./styles.css', import.meta.url), 'utf8');

function vars(start: string): Record<string, string> {
  const i = css.indexOf(start);
  if (i < 0) throw new Error(`styles.css has no block starting ${start}`);
  const body = css.slice(i, css.indexOf('}', i));
  return Object.fromEntries([...body.matchAll(/--([\w-]+):\s*(#[0-9a-fA-F]{6})\b/g)].map((m) => [m[1]!, m[2]!]));
}

function luminance(hex: string): number {
  const channel = (i: number) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
}

function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

const light = vars(':root {');
const dark = { ...light, ...vars('@media (prefers-color-scheme: dark) {\n  :root {') };
const TEXT = ['text', 'text-2', 'muted', 'primary', 'primary-hover', 'success', 'warning', 'danger', 'info'];
const BACKGROUNDS = ['bg', 'surface', 'surface-2', 'surface-3', 'primary-soft', 'success-soft', 'warning-soft', 'danger-soft', 'info-soft'];

describe('styles.css palette contrast (WCAG AA, 4.5:1)', () => {
  it('computes contrast as WCAG does', () => {
    expect(contrast('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrast('#777777', '#ffffff')).toBeCloseTo(4.48, 2);
  });

  for (const [scheme, palette] of [
    ['light', light],
    ['dark', dark],
  ] as const) {
    it(`${scheme}: every text colour on every background`, () => {
      const low: string[] = [];
      for (const fg of TEXT) {
        for (const bg of BACKGROUNDS) {
          const c = contrast(palette[fg]!, palette[bg]!);
          if (c < 4.5) low.push(`--${fg} ${palette[fg]} on --${bg} ${palette[bg]}: ${c.toFixed(2)}:1`);
        }
      }
      expect(low).toEqual([]);
      expect(contrast(palette['primary-text']!, palette.primary!)).toBeGreaterThanOrEqual(4.5);
    });
  }
});
