import { Show, createSignal } from 'solid-js';
import type { Contribution } from '../../core/types.ts';
import { formatBytes, formatDate } from '../lib/format.ts';
import { displayAddress } from '../lib/identity.ts';
import { PassageList } from './PassageList.tsx';
import { StatusBadge } from './StatusBadge.tsx';

/** One contribution in a Datanet's table; expands to show its passages. */
export function ContributionRow(props: { contribution: Contribution }) {
  const [open, setOpen] = createSignal(false);
  const panelId = () => `passages-${props.contribution.id.slice(2, 14)}`;
  return (
    <>
      <tr classList={{ 'row-open': open() }}>
        <td>
          <button
            type="button"
            class="disclosure"
            aria-expanded={open()}
            aria-controls={panelId()}
            aria-label={`${open() ? 'Hide' : 'Show'} passages of ${props.contribution.title}`}
            onClick={() => setOpen((o) => !o)}
          >
            <span class="chevron" aria-hidden="true" />
            <span class="contribution-title">{props.contribution.title}</span>
          </button>
          <span class="muted small cell-sub">{formatBytes(props.contribution.sourceBytes)}</span>
        </td>
        <td class="mono" title={props.contribution.contributor}>
          {displayAddress(props.contribution.contributor)}
        </td>
        <td class="nowrap">
          <StatusBadge status={props.contribution.status} />
          <Show when={props.contribution.acceptedInVersion}>
            <span class="muted small"> in v{props.contribution.acceptedInVersion}</span>
          </Show>
        </td>
        <td class="num">{props.contribution.chunkCount}</td>
        <td class="nowrap">{formatDate(props.contribution.createdAt)}</td>
      </tr>
      <Show when={open()}>
        <tr class="row-detail" id={panelId()}>
          <td colSpan={5}>
            <PassageList contributionId={props.contribution.id} />
            <p class="mono small muted break">Contribution id {props.contribution.id}</p>
          </td>
        </tr>
      </Show>
    </>
  );
}
