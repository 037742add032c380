import { Show } from 'solid-js';
import { UPLOAD_LIMITS, utcDay } from '../../core/limits.ts';
import type { Address } from '../../core/types.ts';
import { getDb } from '../../store/db.ts';
import { uploadsToday } from '../../store/uploads.ts';
import { formatBytes } from '../lib/format.ts';
import { createLiveQuery } from '../lib/liveQuery.ts';

/** The upload limits, and what the active identity has used today in the chosen Datanet. */
export function LimitsNote(props: { datanetId: string | undefined; contributor: Address | undefined }) {
  const used = createLiveQuery(
    () => (props.datanetId && props.contributor ? { datanetId: props.datanetId, contributor: props.contributor } : undefined),
    ({ datanetId, contributor }) => uploadsToday(getDb(), datanetId, contributor, utcDay(Date.now())),
  );
  return (
    <aside class="limits" aria-label="Upload limits">
      <h2 class="h3">Limits</h2>
      <ul>
        <li>{formatBytes(UPLOAD_LIMITS.maxFileBytes)} per file</li>
        <li>
          {UPLOAD_LIMITS.maxFilesPerDay} files and {formatBytes(UPLOAD_LIMITS.maxBytesPerDay)} per day per Datanet
        </li>
      </ul>
      <Show when={used()}>
        {(u) => (
          <p class="muted small">
            Used today in this Datanet: {u().files} of {UPLOAD_LIMITS.maxFilesPerDay} files, {formatBytes(u().bytes)} of{' '}
            {formatBytes(UPLOAD_LIMITS.maxBytesPerDay)} (days count in UTC).
          </p>
        )}
      </Show>
    </aside>
  );
}
