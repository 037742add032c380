/**
 * pdf.js set up to run in the current thread, in Node and in a module web worker alike. Loaded lazily by
 * `extractPdfText.ts` (a dynamic import) so its ~2 MB are only parsed when a PDF arrives.
 *
 * - The *legacy* build: pdfjs 5's modern build needs Node 22+ (Promise.withResolvers, …); the legacy one
 *   carries polyfills and runs in Node 20+ and current browsers, so one import serves both.
 * - `pdf.worker.mjs` is imported for its side effect `globalThis.pdfjsWorker = { WorkerMessageHandler }`.
 *   With that global present, `getDocument` does not spawn a Worker from `GlobalWorkerOptions.workerSrc`
 *   but runs pdf.js's "fake worker" (a loopback port) in this thread — we are already off the UI thread
 *   in our own worker, so no separate pdf worker file is needed. (Node always uses the fake worker.)
 * - The import order below matters: see `pdfjsHideWorkerScope.ts`.
 * - In Node the legacy build polyfills `DOMMatrix` (needed at load time) from the optional dependency
 *   `@napi-rs/canvas`, which npm installs with pdfjs-dist; browsers and workers have `DOMMatrix`.
 */
import './pdfjsHideWorkerScope.ts';
import 'pdfjs-dist/legacy/build/pdf.worker.mjs';
import './pdfjsRestoreWorkerScope.ts';

export { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
