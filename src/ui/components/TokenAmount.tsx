import { exactAmount, readableAmount } from '../../core/readableAmount.ts';

/**
 * A token amount as people read it (rounded to 4 decimals), with the exact amount on hover (title) and
 * in the clipboard when the amount is copied.
 */
export function TokenAmount(props: { value: bigint; token: { symbol: string; decimals: number } }) {
  const exact = () => `${exactAmount(props.value, props.token.decimals)} ${props.token.symbol}`;
  return (
    <span
      class="token-amount"
      title={exact()}
      data-exact={exact()}
      onCopy={(e) => {
        // Copying the rounded text would copy a different amount: put the exact one in the clipboard.
        e.clipboardData?.setData('text/plain', exact());
        e.preventDefault();
      }}
    >
      {readableAmount(props.value, props.token.decimals)} {props.token.symbol}
    </span>
  );
}
