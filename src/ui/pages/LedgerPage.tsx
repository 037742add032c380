import { NotBuiltYet } from '../components/NotBuiltYet.tsx';

export function LedgerPage() {
  return (
    <NotBuiltYet title="Ledger">
      Ledger is not built yet. It will show the attribution receipts of answers, how each fee is split between
      Datanet owners and contributors, and the settlements paid in the token through your Ethereum wallet.
    </NotBuiltYet>
  );
}
