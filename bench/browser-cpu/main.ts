// Bench page of `npm run bench -- cpu-peers`: runs cpu.worker.ts (the engine) in a dedicated module worker and wllama
// (llama.cpp in WebAssembly, its own workers) from this page, logs progress to the console (bench/cpu-peers.ts
// forwards it) and exposes the report on window.__bench.
import type { CpuBenchMessage, CpuBenchReport, PeerReport } from './cpu.worker.ts';
import { runWllama } from './wllama.ts';

declare global {
  interface Window {
    __cpuBench?: { engine: CpuBenchReport; wllama: PeerReport | { ok: false; error: string } };
  }
}

const status = document.getElementById('status')!;
const log = (m: string): void => {
  console.log(m);
  status.textContent = m;
};

async function engine(): Promise<CpuBenchReport> {
  const worker = new Worker(new URL('./cpu.worker.ts', import.meta.url), { type: 'module' });
  return new Promise((resolve) => {
    worker.onmessage = (e: MessageEvent<CpuBenchMessage>) => {
      if (e.data.type === 'log') log(e.data.message);
      else {
        worker.terminate();
        resolve(e.data.report);
      }
    };
    worker.onerror = (e) => resolve({ ok: false, error: `worker error: ${e.message}` });
    worker.postMessage(null);
  });
}

void (async () => {
  log(`crossOriginIsolated ${crossOriginIsolated}, ${navigator.hardwareConcurrency} hardware threads`);
  const eng = await engine();
  let peer: PeerReport | { ok: false; error: string };
  try {
    peer = await runWllama(log);
  } catch (e) {
    peer = { ok: false, error: e instanceof Error ? `${e.message}` : String(e) };
  }
  window.__cpuBench = { engine: eng, wllama: peer };
  status.textContent = 'done';
})();
