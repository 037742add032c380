import { Navigate, Route, Router } from '@solidjs/router';
import { Shell } from './components/Shell.tsx';
import { AdaptersPage } from './pages/AdaptersPage.tsx';
import { ChatPage } from './pages/ChatPage.tsx';
import { ContributePage } from './pages/ContributePage.tsx';
import { DatanetDetailPage } from './pages/DatanetDetailPage.tsx';
import { DatanetsPage } from './pages/DatanetsPage.tsx';
import { LedgerPage } from './pages/LedgerPage.tsx';
import { ModelFactoryPage } from './pages/ModelFactoryPage.tsx';
import { NotFoundPage } from './pages/NotFoundPage.tsx';
import { SettingsPage } from './pages/SettingsPage.tsx';
import { ValidatePage } from './pages/ValidatePage.tsx';

const base = import.meta.env.BASE_URL.replace(/\/$/, '');

/** Routes: `/` goes to `/datanets`. */
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
