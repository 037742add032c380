import { For, Show } from 'solid-js';
import type { AnswerFeeSplit } from '../../../core/answerFee.ts';
import { SPLIT_ROLE_NAMES } from '../../../core/feeSplit.ts';
import { displayAddress } from '../../lib/identity.ts';
import { fmtToken } from '../../lib/ledgerView.ts';

/** Who gets what of one answer's fee: one row per recipient and role; the unattributed part said apart. */
export function FeeSplitTable(props: { split: AnswerFeeSplit; token: { symbol: string; decimals: number } }) {
  return (
    <table class="table compact fee-split" aria-label="Fee split">
      <caption class="small muted">
        Fee {fmtToken(props.split.fee, props.token)}
        <Show when={props.split.unattributed > 0n}> · unattributed part {fmtToken(props.split.unattributed, props.token)} goes to the answer's maker</Show>
      </caption>
      <thead>
        <tr>
          <th scope="col">Recipient</th>
          <th scope="col">Role</th>
          <th scope="col" class="num">
            Amount
          </th>
        </tr>
      </thead>
      <tbody>
        <For each={props.split.splits}>
          {(s) => (
            <tr>
              <td class="mono" title={s.recipient}>
                {displayAddress(s.recipient)}
              </td>
              <td>{SPLIT_ROLE_NAMES[s.role]}</td>
              <td class="num" data-amount={s.amount.toString()}>
                {fmtToken(s.amount, props.token)}
              </td>
            </tr>
          )}
        </For>
      </tbody>
    </table>
  );
}
