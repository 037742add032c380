import { Show, Suspense, createSignal, lazy, onMount } from 'solid-js';
import { rememberedWallet } from '../lib/walletMemory.ts';
import './Ledger.css';

// The wallet code (viem, the wallet discovery, WalletConnect on demand) is a chunk of its own.
const WalletButton = lazy(async () => ({ default: (await import('./WalletButton.tsx')).WalletButton }));

/**
 * The header's wallet control without the wallet code on first load: a plain "Connect wallet" button until it is
 * pressed (then the real `WalletButton` loads and opens its wallet list), or at once when the last session had a
 * wallet connected (it reconnects without a prompt).
 */
export function HeaderWallet() {
  const remembered = rememberedWallet() !== undefined;
  const [wanted, setWanted] = createSignal(remembered);
  let placeholder: HTMLButtonElement | undefined;
  let hadFocus = false;

  const placeholderButton = (busy: boolean) => (
    <button
      type="button"
      class="btn btn-secondary btn-small"
      aria-expanded="false"
      aria-busy={busy ? 'true' : undefined}
      ref={placeholder}
      onClick={() => {
        hadFocus = true;
        setWanted(true);
      }}
    >
      Connect wallet
    </button>
  );

  return (
    <Show when={wanted()} fallback={<div class="wallet-button">{placeholderButton(false)}</div>}>
      <Suspense fallback={<div class="wallet-button">{placeholderButton(true)}</div>}>
        <Loaded initiallyOpen={!remembered} focus={() => hadFocus || document.activeElement === placeholder} />
      </Suspense>
    </Show>
  );
}

/** The real button; keeps keyboard focus on it when the placeholder that was pressed is replaced. */
function Loaded(props: { initiallyOpen: boolean; focus: () => boolean }) {
  let box: HTMLDivElement | undefined;
  onMount(() => {
    if (props.focus()) box?.querySelector<HTMLButtonElement>('button')?.focus();
  });
  return (
    <div ref={box} style={{ display: 'contents' }}>
      <WalletButton initiallyOpen={props.initiallyOpen} />
    </div>
  );
}
