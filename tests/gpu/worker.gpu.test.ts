/**
 * The same kernels in the browser: a small test page (tests/gpu/browser, built here with Vite) starts a
 * dedicated module worker that runs the WebGPU backend on navigator.gpu against the CPU backend (int8
 * matmul; a random int4 Llama model with two adapters and the base in one batch, on the coarse family SwiftShader gets
 * and on the tiled family real GPUs get, plus that family's top-64 candidate read-back). Headless Chromium with
 * --enable-unsafe-webgpu (SwiftShader). Same tolerances as the Node parity tests.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { build } from 'vite';
import { serveStatic } from '../../scripts/serve.mjs';
import { CHROMIUM, openProfile, type BrowserProfile } from '../e2e/browser.ts';
import type { WorkerReport } from './browser/parity.worker.ts';
import { describeGpu } from './gpu.ts';

const describeBrowser = existsSync(CHROMIUM) ? describeGpu : describeGpu.skip;

describeBrowser('WebGPU kernels in a dedicated module worker (headless Chromium, SwiftShader)', () => {
  let out: string;
  let url: string;
  let close: () => Promise<void>;
  let profile: BrowserProfile | undefined;

  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'tributary-gpu-page-'));
    await build({
      configFile: false,
      root: resolve('tests/gpu/browser'),
      logLevel: 'warn',
      worker: { format: 'es' },
      build: { outDir: out, emptyOutDir: true, target: 'es2022', minify: false, reportCompressedSize: false },
    });
    const served = await serveStatic({ root: out, port: 0 });
    url = served.url;
    close = () => new Promise((ok) => served.server.close(() => ok()));
  }, 120_000);

  afterAll(async () => {
    await profile?.close();
    await close?.();
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it('matches the CPU backend inside the worker', async () => {
    profile = await openProfile({ webgpu: true });
    await profile.page.goto(url);
    const handle = await profile.page.waitForFunction(() => window.__report, undefined, { timeout: 150_000, polling: 250 });
    const report = (await handle.jsonValue()) as WorkerReport;
    expect(report.error, `worker error: ${report.error}`).toBeUndefined();
    expect(report.adapter?.vendor).toBeTruthy();
    for (const c of report.checks) expect(c.worst, c.name).toBeLessThanOrEqual(1);
    expect(report.checks.length).toBeGreaterThanOrEqual(10);
    expect(report.ok).toBe(true);
    expect(profile.errors).toEqual([]);
  }, 180_000);
});
