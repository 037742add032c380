/**
 * Evaluated immediately before `pdf.worker.mjs` (see `pdfjs.ts`). When that module is evaluated inside a
 * dedicated web worker (no `window`, has `self.postMessage`), its `WorkerMessageHandler` static block
 * takes the worker over as a pdf.js worker: it listens to every message on `self` and posts a "ready"
 * message to the page. We only want its `globalThis.pdfjsWorker` registration, so for the duration of
 * that module's evaluation we make the scope look like a window. The next module, `pdfjsRestoreWorkerScope.ts`,
 * undoes it; both run in the same synchronous module-graph evaluation, so no other code can observe it.
 */
const g = globalThis as { window?: unknown };

/** True when this module defined `window` (and the restore module must remove it). */
export const windowShimmed = typeof g.window === 'undefined';
if (windowShimmed) g.window = globalThis;
