import { For, Show } from 'solid-js';
import { A } from '@solidjs/router';
import type { Datanet } from '../../core/types.ts';
import { displayAddress } from '../lib/identity.ts';
import { createStatusCounts } from '../lib/queries.ts';
import { DatanetOrigin } from './DatanetOrigin.tsx';

/** One Datanet in the list. */
export function DatanetCard(props: { datanet: Datanet }) {
  const counts = createStatusCounts(() => props.datanet.id);
  return (
    <article class="card datanet-card" aria-labelledby={`dn-title-${props.datanet.id}`}>
      <header class="datanet-card-header">
        <h3 id={`dn-title-${props.datanet.id}`}>
          <A href={`/datanets/${props.datanet.id}`}>{props.datanet.name}</A>
        </h3>
        <span class="version-chip">{props.datanet.currentVersion > 0 ? `v${props.datanet.currentVersion}` : 'No version yet'}</span>
      </header>
      <Show when={props.datanet.summary}>
        <p class="datanet-summary">{props.datanet.summary}</p>
      </Show>
      <Show when={props.datanet.tags.length > 0}>
        <ul class="tags" aria-label="Tags">
          <For each={props.datanet.tags}>{(t) => <li class="tag">{t}</li>}</For>
        </ul>
      </Show>
      <dl class="facts">
        <div>
          <dt>Contributions</dt>
          <dd class="counts">
            <span class="count count-accepted">{counts()?.accepted ?? '…'} accepted</span>
            <span class="count count-pending">{counts()?.pending ?? '…'} pending</span>
            <span class="count count-rejected">{counts()?.rejected ?? '…'} rejected</span>
          </dd>
        </div>
        <div>
          <dt>Licence</dt>
          <dd>{props.datanet.licence}</dd>
        </div>
        <div>
          <dt>Owner</dt>
          <dd class="mono" title={props.datanet.owner}>
            {displayAddress(props.datanet.owner)}
          </dd>
        </div>
        <div>
          <dt>Origin</dt>
          <dd>
            <DatanetOrigin datanet={props.datanet} />
          </dd>
        </div>
      </dl>
    </article>
  );
}
