import { For, Show } from 'solid-js';
import { listDatanets } from '../../store/datanets.ts';
import { getDb } from '../../store/db.ts';
import { CreateDatanetForm } from '../components/CreateDatanetForm.tsx';
import { DatanetCard } from '../components/DatanetCard.tsx';
import { ImportPackForm } from '../components/ImportPackForm.tsx';
import { createLiveQuery } from '../lib/liveQuery.ts';
import { jumpTo } from '../lib/jumpTo.ts';

export function DatanetsPage() {
  const datanets = createLiveQuery(() => listDatanets(getDb()));
  return (
    <section class="page">
      <header class="page-header">
        <div>
          <h1>Datanets</h1>
          <p class="lead">Domain collections of text. Contribute to one, validate what others add, or start your own.</p>
        </div>
        <div class="page-actions">
          <a class="btn btn-secondary" href="#create-datanet-title" onClick={(e) => jumpTo(e, 'create-datanet-title')}>
            New Datanet
          </a>
          <a class="btn btn-ghost" href="#import-pack-title" onClick={(e) => jumpTo(e, 'import-pack-title')}>
            Import a pack
          </a>
        </div>
      </header>

      <Show when={datanets()} fallback={<p class="muted">Loading Datanets…</p>}>
        {(list) => (
          <Show
            when={list().length > 0}
            fallback={<p class="empty">No Datanets yet. Create one below, or import a pack.</p>}
          >
            <h2 class="visually-hidden" id="datanet-list-title">
              All Datanets
            </h2>
            <div class="card-grid" aria-labelledby="datanet-list-title" role="list">
              <For each={list()}>
                {(dn) => (
                  <div role="listitem">
                    <DatanetCard datanet={dn} />
                  </div>
                )}
              </For>
            </div>
          </Show>
        )}
      </Show>

      <div class="two-col">
        <div class="card">
          <CreateDatanetForm />
        </div>
        <div class="card">
          <ImportPackForm />
        </div>
      </div>
    </section>
  );
}
