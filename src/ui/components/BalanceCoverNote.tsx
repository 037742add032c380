import { Show } from 'solid-js';
import type { BalanceCover } from '../../core/balanceCover.ts';
import { TokenAmount } from './TokenAmount.tsx';

/**
 * A warning when the payer's balance cannot cover what it would settle (`what` names it: "the chosen
 * receipts", "this receipt and the 2 pending ones"), with the exact shortfall; nothing when it can.
 */
export function BalanceCoverNote(props: { cover: BalanceCover | undefined; what: string; advice: string; token: { symbol: string; decimals: number } }) {
  return (
    <Show when={props.cover && !props.cover.covers ? props.cover : undefined}>
      {(c) => (
        <div class="alert alert-warning" role="alert" data-testid="balance-cover-warning">
          <p class="alert-message">
            Your balance of <TokenAmount value={c().balance} token={props.token} /> cannot cover {props.what} (<TokenAmount value={c().needed} token={props.token} />): it is short by{' '}
            <TokenAmount value={c().shortBy} token={props.token} />. {props.advice}
          </p>
        </div>
      )}
    </Show>
  );
}
