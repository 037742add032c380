import { Suspense, onCleanup, onMount, type JSX } from 'solid-js';
import { A } from '@solidjs/router';
import { workerEvents } from '../../client/dataClient.ts';
import { showToast } from '../lib/toasts.ts';
import { HeaderWallet } from './HeaderWallet.tsx';
import { IdentitySwitcher } from './IdentitySwitcher.tsx';
import { Nav } from './Nav.tsx';
import { OnlineIndicator } from './OnlineIndicator.tsx';
import { StartupStatus } from './StartupStatus.tsx';
import { Toasts } from './Toasts.tsx';

/** The app frame around every page: header, navigation, startup status, notifications. */
export function Shell(props: { children?: JSX.Element }) {
  onMount(() => {
    // A crash is followed at once (same tick) by a restart; one toast says both. A crash with no restart
    // means the supervisor gave up (crash loop).
    let crash: { worker: string; message: string } | undefined;
    const unsubscribe = workerEvents.subscribe((event) => {
      const worker = `${event.name || 'data'} worker`;
      if (event.type === 'crashed') {
        crash = { worker, message: event.message };
        queueMicrotask(() => {
          if (!crash) return;
          showToast(`The ${crash.worker} keeps crashing (${crash.message}). Reload the page.`, 'error', 0);
          crash = undefined;
        });
      } else if (crash) {
        showToast(`The ${worker} crashed and was restarted (${crash.message}). You can carry on; retry what you were doing.`, 'warning');
        crash = undefined;
      } else {
        showToast(`The ${worker} was restarted.`, 'info');
      }
    });
    onCleanup(unsubscribe);
  });

  return (
    <div class="app">
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="app-header">
        <div class="app-header-inner">
          <A href="/datanets" class="brand" aria-label="Tributary home">
            <img src={`${import.meta.env.BASE_URL}icons/icon.svg`} alt="" width="28" height="28" />
            <span class="brand-name">Tributary</span>
          </A>
          <Nav />
          <div class="header-tools">
            <OnlineIndicator />
            <IdentitySwitcher />
            <HeaderWallet />
          </div>
        </div>
      </header>
      <StartupStatus />
      <main id="main" class="app-main" tabindex="-1">
        {/* pages are loaded on first visit (App.tsx); a later navigation keeps the old page until the new one is in */}
        <Suspense fallback={<p class="hint page-loading">Loading…</p>}>{props.children}</Suspense>
      </main>
      <footer class="app-footer">
        <p>Tributary keeps everything in this browser. Every write is signed with your local key or your connected wallet.</p>
      </footer>
      <Toasts />
    </div>
  );
}
