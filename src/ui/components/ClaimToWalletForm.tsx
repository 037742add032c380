import { For, Show, createMemo, createResource, createSignal } from 'solid-js';
import { isAddress } from 'viem';
import { getLedgerApi } from '../../client/ledgerClient.ts';
import type { Address } from '../../core/types.ts';
import type { ClaimSubmitter } from '../lib/ledgerActions.ts';
import { identities, sameAddress } from '../lib/identity.ts';
import { chainConfig } from '../lib/ledgerChain.ts';
import { walletSession } from '../lib/walletState.ts';
import { TokenAmount } from './TokenAmount.tsx';

/**
 * "Claim to wallet…" for a local key's pooled earnings: the recipient (the connected wallet by default,
 * any address may be typed) and who sends the transaction. The local key only signs an authorisation
 * (EIP-712: recipient, amount, what it claimed before, a deadline, this chain and contract); the connected
 * wallet submits it and pays the gas. A local key holds no gas unless someone sent it some: only then is
 * "the local key itself" offered (and chosen when no wallet is connected).
 */
export function ClaimToWalletForm(props: {
  account: Address;
  claimable: bigint;
  token: { symbol: string; decimals: number };
  busy: boolean;
  onSubmit: (recipient: Address, submitter: ClaimSubmitter) => void;
}) {
  const [typed, setTyped] = createSignal<string>();
  const recipient = () => (typed() ?? walletSession()?.account ?? '').trim();
  const [gas] = createResource(
    () => {
      const c = chainConfig();
      return c ? { c, a: props.account } : undefined;
    },
    ({ c, a }) => getLedgerApi().gasBalance(c, a).catch(() => 0n),
  );
  const [chosen, setChosen] = createSignal<ClaimSubmitter>();
  const submitter = (): ClaimSubmitter | undefined => {
    const c = chosen();
    if (c === 'wallet' && walletSession()) return 'wallet';
    if (c === 'local-key' && (gas() ?? 0n) > 0n) return 'local-key';
    if (walletSession()) return 'wallet';
    return (gas() ?? 0n) > 0n ? 'local-key' : undefined;
  };
  const recipientError = createMemo(() => {
    const r = recipient();
    if (r === '') return 'Enter the address to pay (or connect a wallet: its address is used).';
    if (!isAddress(r, { strict: false })) return 'Not an address: 0x followed by 40 hex digits.';
    if (/^0x0{40}$/i.test(r)) return 'The zero address cannot receive tokens.';
    if (sameAddress(r, chainConfig()?.settlement)) return 'That is the settlement contract: choose a wallet address.';
    return undefined;
  });
  const suggestions = () => {
    const list = [...(walletSession()?.accounts ?? [])];
    for (const i of identities()) if (!sameAddress(i.address, props.account) && !list.some((a) => sameAddress(a, i.address))) list.push(i.address);
    return list;
  };
  const submit = (e: Event) => {
    e.preventDefault();
    const s = submitter();
    if (recipientError() || !s) return;
    props.onSubmit(recipient() as Address, s);
  };

  return (
    <form class="claim-to-wallet" aria-label="Claim to wallet" onSubmit={submit}>
      <div class="field" classList={{ 'field-invalid': !!recipientError() && typed() !== undefined }}>
        <label for="claim-recipient">Pay to (recipient address)</label>
        <input
          id="claim-recipient"
          class="input mono"
          list="claim-recipient-suggestions"
          autocomplete="off"
          spellcheck={false}
          value={recipient()}
          onInput={(e) => setTyped(e.currentTarget.value)}
          aria-describedby="claim-recipient-hint"
        />
        <datalist id="claim-recipient-suggestions">
          <For each={suggestions()}>{(a) => <option value={a} />}</For>
        </datalist>
        <p class="hint" id="claim-recipient-hint">
          The connected wallet by default. The local key signs that this address — and only it — receives <TokenAmount value={props.claimable} token={props.token} />; the
          signature cannot be used again or for another recipient or amount.
        </p>
        <Show when={recipientError() && recipient() !== ''}>
          <p class="field-error">{recipientError()}</p>
        </Show>
      </div>
      <fieldset class="fieldset">
        <legend>Who sends the transaction (and pays its gas)</legend>
        <div class="choice-list">
          <label class="choice">
            <input type="radio" name="claim-submitter" value="wallet" disabled={!walletSession()} checked={submitter() === 'wallet'} onChange={() => setChosen('wallet')} />
            <span>
              <strong>The connected wallet</strong>
              <span class="hint">
                <Show when={walletSession()} fallback="No wallet connected: use “Connect wallet” at the top.">
                  {(w) => (
                    <>
                      {w().option.name} · <span class="mono break">{w().account}</span>
                    </>
                  )}
                </Show>
              </span>
            </span>
          </label>
          <label class="choice">
            <input type="radio" name="claim-submitter" value="local-key" disabled={(gas() ?? 0n) === 0n} checked={submitter() === 'local-key'} onChange={() => setChosen('local-key')} />
            <span>
              <strong>The local key itself</strong>
              <span class="hint">
                {(gas() ?? 0n) > 0n ? (
                  <>
                    It holds <TokenAmount value={gas()!} token={{ symbol: chainConfig()?.nativeCurrency?.symbol ?? 'ETH', decimals: 18 }} /> for gas.
                  </>
                ) : (
                  'It holds no gas on this chain.'
                )}
              </span>
            </span>
          </label>
        </div>
      </fieldset>
      <Show when={!submitter()}>
        <p class="hint">Connect a wallet to send the claim, or send the local key some gas.</p>
      </Show>
      <button type="submit" class="btn btn-primary" disabled={props.busy || !!recipientError() || !submitter() || props.claimable === 0n}>
        Sign and claim to this address
      </button>
    </form>
  );
}
