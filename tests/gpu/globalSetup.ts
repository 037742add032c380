import { rmSync } from 'node:fs';
import { ensureGpuEnv, hasSwiftShader, SKIP_MESSAGE } from './env.ts';

/** Prepares the environment for Dawn + SwiftShader once, before the test processes are forked. */
export default function setup() {
  const before = process.env.XDG_RUNTIME_DIR;
  if (!hasSwiftShader) {
    console.warn(SKIP_MESSAGE);
    return;
  }
  ensureGpuEnv();
  const created = process.env.XDG_RUNTIME_DIR !== before ? process.env.XDG_RUNTIME_DIR : undefined;
  return () => {
    if (created) rmSync(created, { recursive: true, force: true });
  };
}
