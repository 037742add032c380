import { lazy, type Component } from 'solid-js';
import { Navigate, Route, Router } from '@solidjs/router';
import { Shell } from './components/Shell.tsx';

const base = import.meta.env.BASE_URL.replace(/\/$/, '');

/**
 * A page loaded only when its route is first shown (its own chunk, with what only it uses: the engine client,
 * markdown, the chain code…), so the first load of one page does not fetch every other page.
 */
function page<M>(load: () => Promise<M>, name: keyof M): Component {
  return lazy(async () => ({ default: (await load())[name] as Component }));
}

const ChatPage = page(() => import('./pages/ChatPage.tsx'), 'ChatPage');
const DatanetsPage = page(() => import('./pages/DatanetsPage.tsx'), 'DatanetsPage');
const DatanetDetailPage = page(() => import('./pages/DatanetDetailPage.tsx'), 'DatanetDetailPage');
const ContributePage = page(() => import('./pages/ContributePage.tsx'), 'ContributePage');
const ValidatePage = page(() => import('./pages/ValidatePage.tsx'), 'ValidatePage');
const ModelFactoryPage = page(() => import('./pages/ModelFactoryPage.tsx'), 'ModelFactoryPage');
const AdaptersPage = page(() => import('./pages/AdaptersPage.tsx'), 'AdaptersPage');
const LedgerPage = page(() => import('./pages/LedgerPage.tsx'), 'LedgerPage');
const SettingsPage = page(() => import('./pages/SettingsPage.tsx'), 'SettingsPage');
const NotFoundPage = page(() => import('./pages/NotFoundPage.tsx'), 'NotFoundPage');

/** Routes: `/` goes to `/datanets`. Each page is its own chunk, loaded on first visit (see `page`). */
export function App() {
  return (
    <Router root={Shell} base={base || undefined}>
      <Route path="/" component={() => <Navigate href="/datanets" />} />
      <Route path="/chat" component={ChatPage} />
      <Route path="/datanets" component={DatanetsPage} />
      <Route path="/datanets/:id" component={DatanetDetailPage} />
      <Route path="/contribute" component={ContributePage} />
      <Route path="/validate" component={ValidatePage} />
      <Route path="/modelfactory" component={ModelFactoryPage} />
      <Route path="/adapters" component={AdaptersPage} />
      <Route path="/ledger" component={LedgerPage} />
      <Route path="/settings" component={SettingsPage} />
      <Route path="*404" component={NotFoundPage} />
    </Router>
  );
}
