// Bench page: runs bench.worker.ts in a dedicated module worker with the page's query string, logs its progress
// to the console (bench/webgpu.ts forwards it) and exposes the final report on window.__bench.
import type { BenchMessage, BenchReport } from './bench.worker.ts';

declare global {
  interface Window {
    __bench?: BenchReport;
  }
}

const status = document.getElementById('status')!;
const worker = new Worker(new URL('./bench.worker.ts', import.meta.url), { type: 'module' });
worker.postMessage(location.search);
worker.onmessage = (e: MessageEvent<BenchMessage>) => {
  const m = e.data;
  if (m.type === 'log') {
    console.log(m.message);
    status.textContent = m.message;
  } else {
    window.__bench = m.report;
    status.textContent = JSON.stringify(m.report);
  }
};
worker.onerror = (e) => {
  window.__bench = { ok: false, error: `worker error: ${e.message}` };
};
