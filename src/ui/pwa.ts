/**
 * Service worker registration (vite-plugin-pwa with `injectRegister: false`): the UI registers it here so
 * the Settings page and the header can show whether the app works offline.
 */
import { createSignal } from 'solid-js';
import { registerSW } from 'virtual:pwa-register';

export type ServiceWorkerState =
  | 'unsupported'
  | 'registering'
  | 'registered'
  | 'offline-ready'
  | 'update-available'
  | 'failed';

const [serviceWorkerState, setServiceWorkerState] = createSignal<ServiceWorkerState>(
  typeof navigator !== 'undefined' && 'serviceWorker' in navigator ? 'registering' : 'unsupported',
);
const [serviceWorkerError, setServiceWorkerError] = createSignal<string | undefined>();

let updateSW: ((reloadPage?: boolean) => Promise<void>) | undefined;

/** Register the service worker once. */
export function startPwa(): void {
  if (updateSW || serviceWorkerState() === 'unsupported') return;
  updateSW = registerSW({
    immediate: true,
    onRegisteredSW(_url, registration) {
      if (!registration) return;
      // An already-active worker from an earlier visit means the app shell is cached.
      if (registration.active && navigator.serviceWorker.controller) setServiceWorkerState('offline-ready');
      else if (serviceWorkerState() === 'registering') setServiceWorkerState('registered');
    },
    onOfflineReady() {
      setServiceWorkerState('offline-ready');
    },
    onNeedRefresh() {
      setServiceWorkerState('update-available');
    },
    onRegisterError(error: unknown) {
      setServiceWorkerState('failed');
      setServiceWorkerError(error instanceof Error ? error.message : String(error));
    },
  });
}

/** Activate a waiting update and reload. */
export async function applyUpdate(): Promise<void> {
  await updateSW?.(true);
}

export function describeServiceWorker(state: ServiceWorkerState): string {
  switch (state) {
    case 'unsupported':
      return 'Service workers are not available in this browser; the app works only while online.';
    case 'registering':
      return 'Registering…';
    case 'registered':
      return 'Registered; caching the app for offline use.';
    case 'offline-ready':
      return 'Offline-ready: the app works without a network connection.';
    case 'update-available':
      return 'A new version is available.';
    case 'failed':
      return 'Registration failed; the app works only while online.';
  }
}

export { serviceWorkerState, serviceWorkerError };
