import { For, Show } from 'solid-js';
import { A, useParams } from '@solidjs/router';
import { BPS_DENOMINATOR, type Datanet } from '../../core/types.ts';
import { listContributions } from '../../store/contributions.ts';
import { getDatanet } from '../../store/datanets.ts';
import { getDb } from '../../store/db.ts';
import { listVersions } from '../../store/versions.ts';
import { ContributionsTable } from '../components/ContributionsTable.tsx';
import { AnchorPanel } from '../components/AnchorPanel.tsx';
import { DatanetLeaderboard } from '../components/proofOfAttribution/DatanetLeaderboard.tsx';
import { DatanetOrigin } from '../components/DatanetOrigin.tsx';
import { DeleteDatanetPanel } from '../components/DeleteDatanetPanel.tsx';
import { ExportPackPanel } from '../components/ExportPackPanel.tsx';
import { MarkdownView } from '../components/MarkdownView.tsx';
import { VersionsTable } from '../components/VersionsTable.tsx';
import { formatBps, formatDate } from '../lib/format.ts';
import { displayAddress } from '../lib/identity.ts';
import { createLiveQuery } from '../lib/liveQuery.ts';
import { createStatusCounts } from '../lib/queries.ts';

function packSource(d: Datanet): string | undefined {
  return d.origin.kind === 'pack' ? d.origin.source : undefined;
}

export function DatanetDetailPage() {
  const params = useParams<{ id: string }>();
  const datanet = createLiveQuery(
    () => params.id,
    async (id) => (await getDatanet(getDb(), id)) ?? null,
  );
  const versions = createLiveQuery(
    () => params.id,
    (id) => listVersions(getDb(), id),
  );
  const contributions = createLiveQuery(
    () => params.id,
    (id) => listContributions(getDb(), id),
  );
  const counts = createStatusCounts(() => params.id);

  return (
    <Show
      when={datanet() !== undefined}
      fallback={
        <section class="page">
          <p class="muted">Loading Datanet…</p>
        </section>
      }
    >
      <Show
        when={datanet()}
        fallback={
          <section class="page">
            <header class="page-header">
              <h1>Datanet not found</h1>
            </header>
            <p>
              There is no Datanet with the id <code>{params.id}</code> in this browser. <A href="/datanets">Back to all Datanets</A>
            </p>
          </section>
        }
      >
        {(dn) => (
          <section class="page">
            <p class="breadcrumbs">
              <A href="/datanets">All Datanets</A> <span aria-hidden="true">/</span> <span>{dn().name}</span>
            </p>
            <header class="page-header">
              <div>
                <h1>{dn().name}</h1>
                <Show when={dn().summary}>
                  <p class="lead">{dn().summary}</p>
                </Show>
                <Show when={dn().tags.length > 0}>
                  <ul class="tags" aria-label="Tags">
                    <For each={dn().tags}>{(t) => <li class="tag">{t}</li>}</For>
                  </ul>
                </Show>
              </div>
              <div class="page-actions">
                <A class="btn btn-primary" href={`/contribute?datanet=${encodeURIComponent(dn().id)}`}>
                  Contribute to this Datanet
                </A>
              </div>
            </header>

            <div class="detail-layout">
              <div class="detail-main">
                <section class="card" aria-labelledby="about-title">
                  <h2 id="about-title">About</h2>
                  <Show when={dn().descriptionMd.trim()} fallback={<p class="muted">No description.</p>}>
                    <MarkdownView markdown={dn().descriptionMd} />
                  </Show>
                </section>

                <section class="card" aria-labelledby="versions-title">
                  <h2 id="versions-title">Versions</h2>
                  <VersionsTable versions={versions() ?? []} />
                </section>

                <section class="card" aria-labelledby="contributions-title">
                  <div class="section-header">
                    <h2 id="contributions-title">Contributions</h2>
                    <A href={`/contribute?datanet=${encodeURIComponent(dn().id)}`}>Contribute</A>
                  </div>
                  <ContributionsTable contributions={contributions() ?? []} />
                </section>

                <section class="card" aria-labelledby="leaderboard-title">
                  <h2 id="leaderboard-title">Attribution and earnings</h2>
                  <DatanetLeaderboard datanetId={dn().id} />
                </section>
              </div>

              <aside class="detail-side">
                <section class="card" aria-labelledby="facts-title">
                  <h2 id="facts-title">Details</h2>
                  <dl class="facts facts-stacked">
                    <div>
                      <dt>Current version</dt>
                      <dd>{dn().currentVersion > 0 ? `v${dn().currentVersion}` : 'None yet'}</dd>
                    </div>
                    <div>
                      <dt>Contributions</dt>
                      <dd class="counts">
                        <span class="count count-accepted">{counts()?.accepted ?? '…'} accepted</span>
                        <span class="count count-pending">{counts()?.pending ?? '…'} pending</span>
                        <span class="count count-rejected">{counts()?.rejected ?? '…'} rejected</span>
                      </dd>
                    </div>
                    <div>
                      <dt>Data type</dt>
                      <dd>Text</dd>
                    </div>
                    <div>
                      <dt>Licence</dt>
                      <dd>{dn().licence}</dd>
                    </div>
                    <div>
                      <dt>Owner</dt>
                      <dd class="mono break" title={dn().owner}>
                        {displayAddress(dn().owner)}
                      </dd>
                    </div>
                    <div>
                      <dt>Moderation</dt>
                      <dd>{dn().moderation === 'owner' ? 'Owner-moderated' : 'Quorum of validators'}</dd>
                    </div>
                    <div>
                      <dt>Passages</dt>
                      <dd>
                        {dn().chunking.size} {dn().chunking.unit === 'chars' ? 'characters' : 'tokens'}, overlap {dn().chunking.overlap}
                      </dd>
                    </div>
                    <div>
                      <dt>Created</dt>
                      <dd>{formatDate(dn().createdAt)}</dd>
                    </div>
                    <div>
                      <dt>Origin</dt>
                      <dd>
                        <DatanetOrigin datanet={dn()} />
                        <Show when={packSource(dn())}>
                          {(src) => <span class="mono small muted break"> {src()}</span>}
                        </Show>
                      </dd>
                    </div>
                    <div>
                      <dt>Id</dt>
                      <dd class="mono">{dn().id}</dd>
                    </div>
                  </dl>
                </section>

                <section class="card" aria-labelledby="reward-title">
                  <h2 id="reward-title">Reward policy</h2>
                  <div
                    class="split-bar"
                    role="img"
                    aria-label={`Contributors ${formatBps(dn().rewardPolicy.contributorsBps)}, owner ${formatBps(dn().rewardPolicy.ownerBps)}`}
                  >
                    <span class="split-contributors" style={{ width: `${(dn().rewardPolicy.contributorsBps / BPS_DENOMINATOR) * 100}%` }} />
                    <span class="split-owner" style={{ width: `${(dn().rewardPolicy.ownerBps / BPS_DENOMINATOR) * 100}%` }} />
                  </div>
                  <dl class="facts facts-stacked">
                    <div>
                      <dt>Contributors</dt>
                      <dd>{formatBps(dn().rewardPolicy.contributorsBps)}</dd>
                    </div>
                    <div>
                      <dt>Owner</dt>
                      <dd>{formatBps(dn().rewardPolicy.ownerBps)}</dd>
                    </div>
                  </dl>
                  <p class="hint">
                    Share of each fee that reaches this Datanet. Fees are paid and settled on the <A href="/ledger">Ledger</A>, where
                    contributors and the owner claim what they earned.
                  </p>
                </section>

                <section class="card" aria-labelledby="export-title">
                  <h2 id="export-title">Export</h2>
                  <ExportPackPanel datanet={dn()} />
                </section>

                <AnchorPanel datanet={dn()} versions={versions() ?? []} />

                <DeleteDatanetPanel datanet={dn()} />
              </aside>
            </div>
          </section>
        )}
      </Show>
    </Show>
  );
}
