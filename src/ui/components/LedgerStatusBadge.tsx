import type { LedgerStatus } from '../../core/ledger.ts';

const LABELS: Record<LedgerStatus, string> = {
  pending: 'Pending',
  submitting: 'Settling…',
  settled: 'Settled',
  failed: 'Expired',
  cancelled: 'Cancelled',
};
const CLASSES: Record<LedgerStatus, string> = {
  pending: 'badge-pending',
  submitting: 'badge-neutral',
  settled: 'badge-accepted',
  failed: 'badge-rejected',
  cancelled: 'badge-neutral',
};

/** A pill for a ledger entry's status. */
export function LedgerStatusBadge(props: { status: LedgerStatus }) {
  return <span class={`badge ${CLASSES[props.status]}`}>{LABELS[props.status]}</span>;
}
