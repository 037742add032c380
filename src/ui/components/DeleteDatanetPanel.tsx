import { Show, createSignal } from 'solid-js';
import { useNavigate } from '@solidjs/router';
import { getDataApi } from '../../client/dataClient.ts';
import type { Datanet } from '../../core/types.ts';
import { datanetFootprint } from '../../store/datanetFootprint.ts';
import { getDb } from '../../store/db.ts';
import { plural } from '../lib/format.ts';
import { activeAddress, sameAddress } from '../lib/identity.ts';
import { createLiveQuery } from '../lib/liveQuery.ts';
import { showToast } from '../lib/toasts.ts';
import { ErrorAlert } from './ErrorAlert.tsx';

/**
 * "Delete Datanet", for its owner (the active identity or wallet): a confirmation that says what goes (its
 * contributions, passages, versions and attribution indexes, from this browser) and what does not (anything on chain,
 * settled payments, the answers' attribution records, fees not settled yet), then the data worker deletes it in one
 * transaction (services/deleteDatanet) and the page goes back to the list.
 */
export function DeleteDatanetPanel(props: { datanet: Datanet }) {
  const navigate = useNavigate();
  const isOwner = () => sameAddress(activeAddress(), props.datanet.owner);
  const [asking, setAsking] = createSignal(false);
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<unknown>();
  // read while the confirmation is open, so its figures are the ones the delete will act on
  const footprint = createLiveQuery(
    () => (asking() ? props.datanet.id : undefined),
    (id) => datanetFootprint(getDb(), id),
  );

  const remove = async () => {
    const owner = activeAddress();
    if (!owner) return;
    setBusy(true);
    setError(undefined);
    try {
      const done = await getDataApi().deleteDatanet(props.datanet.id, owner);
      showToast(`Deleted the Datanet "${done.name}" and its ${plural(done.removed.contributions, 'contribution')} from this browser.`, 'success');
      navigate('/datanets');
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Show when={isOwner()}>
      <section class="card" aria-labelledby="delete-datanet-title" data-testid="delete-datanet">
        <h2 id="delete-datanet-title">Delete Datanet</h2>
        <Show
          when={asking()}
          fallback={
            <>
              <p class="hint">You own this Datanet: you can delete it from this browser.</p>
              <button type="button" class="btn btn-danger" onClick={() => setAsking(true)}>
                Delete Datanet
              </button>
            </>
          }
        >
          <div role="alertdialog" aria-labelledby="delete-datanet-question" aria-describedby="delete-datanet-what" class="confirm-delete">
            <p id="delete-datanet-question">
              <strong>Delete “{props.datanet.name}”?</strong>
            </p>
            <Show when={footprint()} fallback={<p class="muted">Counting what it holds…</p>}>
              {(f) => (
                <div id="delete-datanet-what">
                  <p data-testid="delete-datanet-removes">
                    This removes its {plural(f().contributions, 'contribution')} ({plural(f().passages, 'passage')}), {plural(f().versions, 'version')},{' '}
                    {plural(f().validations, 'vote')} and {plural(f().indexFiles, 'attribution index file')} from this browser. It cannot be undone
                    here; a pack you exported can be imported again.
                  </p>
                  <p data-testid="delete-datanet-keeps">
                    Nothing on chain is undone: a registration and anchored versions stay in the registry, and payments already settled stay paid.
                    {f().unsettledFees > 0
                      ? ` The ${plural(f().unsettledFees, 'fee')} not settled yet that pay this Datanet stay in the Ledger and still pay its contributors and owner when settled.`
                      : ''}
                    {f().creditingRecords > 0 ? ` The attribution records of the ${plural(f().creditingRecords, 'answer')} that credited it stay readable.` : ''}
                  </p>
                </div>
              )}
            </Show>
            <div class="form-actions">
              <button type="button" class="btn btn-danger" disabled={busy() || !footprint()} onClick={() => void remove()}>
                {busy() ? 'Deleting…' : `Delete “${props.datanet.name}”`}
              </button>
              <button
                type="button"
                class="btn btn-secondary"
                disabled={busy()}
                onClick={() => {
                  setAsking(false);
                  setError(undefined);
                }}
              >
                Cancel
              </button>
            </div>
          </div>
        </Show>
        <ErrorAlert title="The Datanet was not deleted" error={error()} />
      </section>
    </Show>
  );
}
