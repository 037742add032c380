/**
 * One browser context trains a run at a time: while a worker trains it, it holds the Web Lock `tributary-training:<id>`
 * (navigator.locks, shared by every tab of the origin, released when the worker ends — a reload or a killed tab frees
 * it). Resuming a run whose lock another tab holds is refused. Where there are no Web Locks (Node), nothing is
 * locked: a single process is the only trainer there.
 */
import { TributaryError } from '../../../core/errors.ts';

interface LockManagerLike {
  request(name: string, options: { ifAvailable: boolean }, callback: (lock: unknown) => Promise<unknown>): Promise<unknown>;
}

function locks(): LockManagerLike | null {
  const n = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator;
  return n?.locks ?? null;
}

export async function withRunLock<T>(runId: string, runName: string, fn: () => Promise<T>): Promise<T> {
  const lm = locks();
  if (!lm) return fn();
  let out: { value: T } | null = null;
  await lm.request(`tributary-training:${runId}`, { ifAvailable: true }, async (lock) => {
    if (lock === null) return;
    out = { value: await fn() };
  });
  if (out === null) throw new TributaryError('factory/busy', `The run "${runName}" is training in another tab or window of this app; pause it there, or close that tab, to continue it here.`);
  return (out as { value: T }).value;
}
