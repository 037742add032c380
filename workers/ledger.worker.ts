/** The ledger worker: the settlement ledger (src/services/ledgerService) exposed over comlink. */
import * as Comlink from 'comlink';
import { sendClaimForWithKey } from '../src/chain/wallet/claimForWithWallet.ts';
import { createLedgerReader } from '../src/chain/wallet/ledgerReader.ts';
import { LedgerService } from '../src/services/ledgerService.ts';
import { registerErrorTransfer } from '../src/workerApi/errorTransfer.ts';
import { getDb } from '../src/store/db.ts';

registerErrorTransfer();
Comlink.expose(
  new LedgerService(getDb(), {
    now: Date.now,
    randomBytes: (n) => crypto.getRandomValues(new Uint8Array(n)),
    reader: (chain) => createLedgerReader(chain),
    sendClaimAsLocalKey: (chain, privateKey, signed) => sendClaimForWithKey(chain, privateKey, signed),
  }),
);
