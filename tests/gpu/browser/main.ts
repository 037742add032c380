// Test page: runs the parity checks in a dedicated module worker and exposes the report on window.
import type { WorkerReport } from './parity.worker.ts';

declare global {
  interface Window {
    __report?: WorkerReport;
  }
}

const worker = new Worker(new URL('./parity.worker.ts', import.meta.url), { type: 'module' });
worker.onmessage = (e: MessageEvent<WorkerReport>) => {
  window.__report = e.data;
  document.getElementById('status')!.textContent = JSON.stringify(e.data);
};
worker.onerror = (e) => {
  window.__report = { ok: false, error: `worker error: ${e.message}`, checks: [] };
};
