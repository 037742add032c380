/** Live reads shared by several components. */
import type { ContributionStatus } from '../../core/types.ts';
import { getDb } from '../../store/db.ts';
import { createLiveQuery, type LiveQuery } from './liveQuery.ts';

export type StatusCounts = Record<ContributionStatus, number>;

/** Contribution counts by status for one Datanet. */
export function createStatusCounts(datanetId: () => string | undefined): LiveQuery<StatusCounts> {
  return createLiveQuery(datanetId, async (id) => {
    const db = getDb();
    const count = (status: ContributionStatus) => db.contributions.where('[datanetId+status]').equals([id, status]).count();
    const [pending, accepted, rejected] = await Promise.all([count('pending'), count('accepted'), count('rejected')]);
    return { pending, accepted, rejected };
  });
}
