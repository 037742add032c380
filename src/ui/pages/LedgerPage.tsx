import { onMount } from 'solid-js';
import { EarningsPanel } from '../components/EarningsPanel.tsx';
import { LedgerClaim } from '../components/LedgerClaim.tsx';
import { LedgerFees } from '../components/LedgerFees.tsx';
import { LedgerHistory } from '../components/LedgerHistory.tsx';
import { LedgerPayForm } from '../components/LedgerPayForm.tsx';
import { LedgerStatus } from '../components/LedgerStatus.tsx';
import '../components/Ledger.css';
import { initChain } from '../lib/ledgerChain.ts';
import { createLedgerEntries, createLedgerHistory, createTokenInfo } from '../lib/ledgerView.ts';
import { initWallets } from '../lib/walletState.ts';

/** The settlement ledger: pay Datanets, settle what I owe in one transaction, see and claim what I earn. */
export function LedgerPage() {
  onMount(() => {
    void initChain();
    initWallets();
  });
  const entries = createLedgerEntries();
  const history = createLedgerHistory();
  const token = createTokenInfo();
  return (
    <section class="page ledger-page">
      <header class="page-header">
        <div>
          <h1>Ledger</h1>
          <p class="lead">
            Every fee (answers and "Pay a Datanet") and its split, pending until settled on chain in one signed payment; what you owe, what you earn, and your claims.
          </p>
        </div>
      </header>
      <LedgerStatus token={token()} />
      <div class="two-col ledger-cols">
        <div>
          <LedgerFees entries={entries() ?? []} token={token()} />
          <EarningsPanel entries={entries() ?? []} token={token()} />
        </div>
        <div>
          <LedgerPayForm token={token()} />
          <LedgerClaim token={token()} />
          <LedgerHistory settlements={history()?.settlements ?? []} claims={history()?.claims ?? []} token={token()} />
        </div>
      </div>
    </section>
  );
}
