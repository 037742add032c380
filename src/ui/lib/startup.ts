/**
 * What happens once when the app starts: identities (creating "Me" on first start) and the bundled demo
 * Datanets. The shell shows `startup()` as a small status line while it runs.
 */
import { createSignal } from 'solid-js';
import type { Progress } from '../../workerApi/dataApi.ts';
import { getDataApi } from '../../client/dataClient.ts';
import { initIdentities } from './identity.ts';

export interface StartupState {
  demo: 'loading' | 'done' | 'failed';
  demoProgress?: Progress | undefined;
  demoAdded?: number | undefined;
  demoError?: unknown;
  identityError?: unknown;
}

const [startup, setStartup] = createSignal<StartupState>({ demo: 'loading' });

let started = false;

export function startApp(): void {
  if (started) return;
  started = true;
  initIdentities().catch((e: unknown) => setStartup((s) => ({ ...s, identityError: e })));
  getDataApi()
    .ensureDemoData(import.meta.env.BASE_URL, (p) => setStartup((s) => ({ ...s, demoProgress: p })))
    .then((added) => setStartup((s) => ({ ...s, demo: 'done', demoAdded: added, demoProgress: undefined })))
    .catch((e: unknown) => setStartup((s) => ({ ...s, demo: 'failed', demoError: e, demoProgress: undefined })));
}

export { startup };
