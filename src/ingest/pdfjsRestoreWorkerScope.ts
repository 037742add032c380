/** Evaluated immediately after `pdf.worker.mjs`: removes the `window` that `pdfjsHideWorkerScope.ts` defined. */
import { windowShimmed } from './pdfjsHideWorkerScope.ts';

if (windowShimmed) delete (globalThis as { window?: unknown }).window;
