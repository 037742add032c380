/**
 * Which passages a ModelFactory run keeps out of training to measure held-out loss. Split by passage (not by
 * example: the several questions asked about one passage stay on one side, so the held-out loss never sees a passage
 * the adapter trained on), deterministically from the seed: each passage's rank is the SHA-256 of
 * `seed:key`, the lowest `round(n · fraction)` ranks (at least 1, at most n − 1) are held out. The same passages,
 * seed and fraction give the same split on every machine, so a resumed run evaluates the same set.
 */
import { TributaryError } from './errors.ts';
import { sha256Text } from './hash.ts';

export function splitHeldOut<T>(items: readonly T[], key: (item: T) => string, seed: number, fraction: number): { train: T[]; heldOut: T[] } {
  if (items.length < 2) {
    throw new TributaryError('factory/no-data', `Training needs at least 2 passages (one is kept out to measure held-out loss); the chosen Datanets have ${items.length}. Choose more Datanets or accept more contributions.`);
  }
  if (!(fraction > 0 && fraction < 1)) throw new TributaryError('factory/bad-settings', `The held-out share must be between 0 and 1 (got ${fraction}).`);
  const ranked = items.map((item, i) => ({ i, h: sha256Text(`${seed}:${key(item)}`) })).sort((a, b) => (a.h < b.h ? -1 : a.h > b.h ? 1 : a.i - b.i));
  const k = Math.min(items.length - 1, Math.max(1, Math.round(items.length * fraction)));
  const held = new Set(ranked.slice(0, k).map((r) => r.i));
  const train: T[] = [];
  const heldOut: T[] = [];
  items.forEach((item, i) => (held.has(i) ? heldOut : train).push(item));
  return { train, heldOut };
}
