/**
 * Readers (answers) and writers (whatever replaces the model): a rebuild waits until running answers finish and
 * holds new ones back, so it never pulls the model from under an answer.
 */
import type { EngineContext } from './context.ts';

export async function enterReader(ctx: EngineContext): Promise<void> {
  while (ctx.writers > 0) await ctx.writerTail;
  ctx.readers++;
}

export function leaveReader(ctx: EngineContext): void {
  ctx.readers--;
  if (ctx.readers === 0) {
    const d = ctx.drained;
    ctx.drained = null;
    d?.();
  }
}

/** Runs `fn` alone: after the answers running now finish, before any new one starts. */
export function exclusive<T>(ctx: EngineContext, fn: () => Promise<T>): Promise<T> {
  ctx.writers++;
  const run = ctx.writerTail
    .then(async () => {
      while (ctx.readers > 0) await new Promise<void>((resolve) => (ctx.drained = resolve));
      return fn();
    })
    .finally(() => {
      ctx.writers--;
    });
  ctx.writerTail = run.catch(() => undefined);
  return run;
}
