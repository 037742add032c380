/**
 * `npm run train:demo`'s stage cache (`.demo-build/`, ignored by git): the trained base and each trained adapter are
 * kept under a key that hashes everything that decides their bytes (knobs, seed, data, the base's weights for an
 * adapter). A rerun with the same knobs reuses them, so the base and the adapters can be trained by separate
 * processes side by side (`DEMO_ADAPTERS=<slug>`) and assembled by a last plain run; the result is the same bytes
 * as one uninterrupted run, because every stage is seeded and deterministic on the same backend.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256Text } from '../../src/core/hash.ts';

export const DEMO_BUILD_DIR = '.demo-build';

/** A stable key for a stage: the first 16 hex digits of the SHA-256 of its inputs as canonical JSON. */
export function stageKey(stage: string, inputs: unknown): string {
  const canonical = (v: unknown): unknown =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v as Record<string, unknown>)
            .sort()
            .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
        )
      : Array.isArray(v)
        ? v.map(canonical)
        : v;
  return `${stage}-${sha256Text(JSON.stringify(canonical(inputs))).slice(2, 18)}`;
}

/** The files of a finished stage, or null when it has not run with these inputs. */
export function readStage(key: string): Map<string, Uint8Array> | null {
  const dir = join(DEMO_BUILD_DIR, key);
  if (!existsSync(join(dir, 'done'))) return null;
  const out = new Map<string, Uint8Array>();
  for (const f of readdirSync(dir)) if (f !== 'done') out.set(f, new Uint8Array(readFileSync(join(dir, f))));
  return out;
}

/** Writes a finished stage atomically (a killed run leaves no half-written stage behind). */
export function writeStage(key: string, files: Record<string, Uint8Array | string>): void {
  const dir = join(DEMO_BUILD_DIR, key);
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(tmp, name), bytes);
  writeFileSync(join(tmp, 'done'), '');
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
}
