import type { ContributionStatus } from '../../core/types.ts';

const LABELS: Record<ContributionStatus, string> = {
  pending: 'Pending',
  accepted: 'Accepted',
  rejected: 'Rejected',
};

/** A coloured pill for a contribution's status. */
export function StatusBadge(props: { status: ContributionStatus }) {
  return <span class={`badge badge-${props.status}`}>{LABELS[props.status]}</span>;
}
