import { For, Show, createSignal } from 'solid-js';
import { A } from '@solidjs/router';
import { DEFAULT_PASSAGE_OPTIONS } from '../../core/passage.ts';
import { DATANET_LIMITS } from '../../core/datanet.ts';
import { BPS_DENOMINATOR, type Datanet, type DatanetDraft, type Moderation } from '../../core/types.ts';
import { toShownError } from '../lib/errors.ts';
import { activeIdentity, describeIdentity } from '../lib/identity.ts';
import { COMMON_LICENCES, CUSTOM_LICENCE } from '../lib/licences.ts';
import { createDatanetAs } from '../lib/walletSigning.ts';
import { ErrorAlert } from './ErrorAlert.tsx';
import { Field, describedBy } from './Field.tsx';
import { MarkdownView } from './MarkdownView.tsx';
import { keyboardScrollable } from '../lib/keyboardScrollable.ts';

type FieldKey = 'name' | 'summary' | 'descriptionMd' | 'tags' | 'licence' | 'owner' | 'reward' | 'moderation' | 'chunkSize' | 'chunkOverlap';

/** Which form field a `datanet/invalid` error's subject (e.g. `chunking.overlap`) is about. */
function fieldOf(subject: string | undefined): FieldKey | undefined {
  if (!subject) return undefined;
  if (subject.startsWith('rewardPolicy')) return 'reward';
  if (subject === 'chunking.overlap') return 'chunkOverlap';
  if (subject.startsWith('chunking')) return 'chunkSize';
  if (['name', 'summary', 'descriptionMd', 'tags', 'licence', 'owner', 'moderation'].includes(subject)) return subject as FieldKey;
  return undefined;
}

const FIELD_LABELS: Record<FieldKey, string> = {
  name: 'Name',
  summary: 'Summary',
  descriptionMd: 'Description',
  tags: 'Tags',
  licence: 'Licence',
  owner: 'Owner',
  reward: 'Reward policy',
  moderation: 'Moderation',
  chunkSize: 'Passage size',
  chunkOverlap: 'Overlap',
};

const FIELD_IDS: Partial<Record<FieldKey, string>> = {
  name: 'dn-name',
  summary: 'dn-summary',
  descriptionMd: 'dn-description',
  tags: 'dn-tags',
  licence: 'dn-licence',
  reward: 'dn-contributors-pct',
  chunkSize: 'dn-chunk-size',
  chunkOverlap: 'dn-chunk-overlap',
};

function parseNumber(s: string): number {
  return s.trim() === '' ? Number.NaN : Number(s);
}

/** The "Create Datanet" form. The worker checks the draft; its errors are shown at the field they name. */
export function CreateDatanetForm() {
  const [name, setName] = createSignal('');
  const [summary, setSummary] = createSignal('');
  const [description, setDescription] = createSignal('');
  const [tags, setTags] = createSignal('');
  const [licence, setLicence] = createSignal(COMMON_LICENCES[0]?.id ?? CUSTOM_LICENCE);
  const [customLicence, setCustomLicence] = createSignal('');
  const [contributorsPct, setContributorsPct] = createSignal('80');
  const [moderation, setModeration] = createSignal<Moderation>('quorum');
  const [chunkSize, setChunkSize] = createSignal(String(DEFAULT_PASSAGE_OPTIONS.size));
  const [chunkOverlap, setChunkOverlap] = createSignal(String(DEFAULT_PASSAGE_OPTIONS.overlap));

  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<unknown>();
  const [created, setCreated] = createSignal<Datanet>();

  const fieldError = (key: FieldKey): string | undefined => {
    const e = error();
    if (!e) return undefined;
    const shown = toShownError(e);
    return fieldOf(shown.subject) === key ? shown.message : undefined;
  };

  const contributorsBps = () => Math.round(parseNumber(contributorsPct()) * 100);
  const ownerPct = () => {
    const bps = contributorsBps();
    return Number.isFinite(bps) && bps >= 0 && bps <= BPS_DENOMINATOR ? `${(BPS_DENOMINATOR - bps) / 100} %` : '—';
  };

  const reset = () => {
    setName('');
    setSummary('');
    setDescription('');
    setTags('');
    setLicence(COMMON_LICENCES[0]?.id ?? CUSTOM_LICENCE);
    setCustomLicence('');
    setContributorsPct('80');
    setModeration('quorum');
    setChunkSize(String(DEFAULT_PASSAGE_OPTIONS.size));
    setChunkOverlap(String(DEFAULT_PASSAGE_OPTIONS.overlap));
  };

  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    const owner = activeIdentity();
    if (!owner) {
      setError(new Error('No identity is active yet: wait a moment, or create one in the header.'));
      return;
    }
    const bps = contributorsBps();
    const draft: DatanetDraft = {
      name: name(),
      summary: summary(),
      descriptionMd: description(),
      tags: tags()
        .split(',')
        .map((t) => t.trim())
        .filter((t) => t !== ''),
      licence: licence() === CUSTOM_LICENCE ? customLicence() : licence(),
      owner: owner.address,
      rewardPolicy: { contributorsBps: bps, ownerBps: BPS_DENOMINATOR - bps },
      moderation: moderation(),
      chunking: { unit: 'chars', size: parseNumber(chunkSize()), overlap: parseNumber(chunkOverlap()) },
    };
    setBusy(true);
    setError(undefined);
    setCreated(undefined);
    try {
      const datanet = await createDatanetAs(draft);
      setCreated(datanet);
      reset();
    } catch (err) {
      setError(err);
      const field = fieldOf(toShownError(err).subject);
      const id = field && (field === 'licence' && licence() === CUSTOM_LICENCE ? 'dn-custom-licence' : FIELD_IDS[field]);
      if (id) document.getElementById(id)?.focus();
    } finally {
      setBusy(false);
    }
  };

  /** The error for the alert under the form, its subject named as the form names the field. */
  const alertError = () => {
    const e = error();
    if (!e) return undefined;
    const shown = toShownError(e);
    const field = fieldOf(shown.subject);
    return field ? { ...shown, subject: FIELD_LABELS[field] } : shown;
  };

  return (
    <form class="form create-datanet" onSubmit={(e) => void submit(e)} novalidate aria-labelledby="create-datanet-title">
      <h2 id="create-datanet-title">Create a Datanet</h2>
      <p class="section-intro">
        A Datanet is a curated collection of text in one domain. Contributors add to it, validators decide what gets
        in, and every accepted batch becomes a new signed version.
      </p>

      <div class="form-grid">
        <Field id="dn-name" label="Name" error={fieldError('name')} hint={`${DATANET_LIMITS.nameMin} to ${DATANET_LIMITS.nameMax} characters.`}>
          <input
            id="dn-name"
            type="text"
            value={name()}
            maxLength={DATANET_LIMITS.nameMax * 2}
            aria-invalid={!!fieldError('name')}
            aria-describedby={describedBy('dn-name', true, fieldError('name'))}
            onInput={(e) => setName(e.currentTarget.value)}
          />
        </Field>
        <Field id="dn-summary" label="Summary" error={fieldError('summary')} hint={`One sentence, at most ${DATANET_LIMITS.summaryMax} characters.`}>
          <input
            id="dn-summary"
            type="text"
            value={summary()}
            aria-invalid={!!fieldError('summary')}
            aria-describedby={describedBy('dn-summary', true, fieldError('summary'))}
            onInput={(e) => setSummary(e.currentTarget.value)}
          />
        </Field>
      </div>

      <div class="markdown-editor">
        <Field id="dn-description" label="Description (Markdown)" error={fieldError('descriptionMd')} hint="What belongs in this Datanet, what does not, and how to write it.">
          <textarea
            id="dn-description"
            rows={9}
            value={description()}
            aria-invalid={!!fieldError('descriptionMd')}
            aria-describedby={describedBy('dn-description', true, fieldError('descriptionMd'))}
            onInput={(e) => setDescription(e.currentTarget.value)}
          />
        </Field>
        <section class="markdown-preview" ref={keyboardScrollable} aria-label="Description preview">
          <p class="preview-label">Preview</p>
          <Show when={description().trim()} fallback={<p class="muted">The rendered description appears here as you type.</p>}>
            <MarkdownView markdown={description()} />
          </Show>
        </section>
      </div>

      <div class="form-grid">
        <Field id="dn-tags" label="Tags (comma separated)" error={fieldError('tags')} hint="Lower-case letters, digits and dashes, e.g. baking, sourdough.">
          <input
            id="dn-tags"
            type="text"
            value={tags()}
            aria-invalid={!!fieldError('tags')}
            aria-describedby={describedBy('dn-tags', true, fieldError('tags'))}
            onInput={(e) => setTags(e.currentTarget.value)}
          />
        </Field>
        <div class="field">
          <span class="label" id="dn-datatype-label">
            Data type
          </span>
          <p class="fixed-value" aria-labelledby="dn-datatype-label">
            Text <span class="muted">(every Datanet holds text; files are read as text)</span>
          </p>
        </div>
        <Field id="dn-licence" label="Licence" error={licence() === CUSTOM_LICENCE ? undefined : fieldError('licence')}>
          <select id="dn-licence" value={licence()} onChange={(e) => setLicence(e.currentTarget.value)}>
            <For each={COMMON_LICENCES}>{(l) => <option value={l.id}>{l.label}</option>}</For>
            <option value={CUSTOM_LICENCE}>Custom…</option>
          </select>
        </Field>
        <Show when={licence() === CUSTOM_LICENCE}>
          <Field id="dn-custom-licence" label="Custom licence" error={fieldError('licence')} hint="An SPDX id or a short licence name.">
            <input
              id="dn-custom-licence"
              type="text"
              value={customLicence()}
              aria-invalid={!!fieldError('licence')}
              aria-describedby={describedBy('dn-custom-licence', true, fieldError('licence'))}
              onInput={(e) => setCustomLicence(e.currentTarget.value)}
            />
          </Field>
        </Show>
        <div class="field" classList={{ 'field-invalid': !!fieldError('owner') }}>
          <span class="label" id="dn-owner-label">
            Owner
          </span>
          <p class="fixed-value mono" aria-labelledby="dn-owner-label" title={activeIdentity()?.address}>
            {activeIdentity() ? describeIdentity(activeIdentity()!) : 'Loading identity…'}
          </p>
          <p class="hint">
            The active identity. Switch it in the header.
            {activeIdentity()?.kind === 'wallet' ? ' Your wallet asks you to sign the new Datanet; as its owner you can anchor its versions on chain.' : ''}
          </p>
          <Show when={fieldError('owner')}>
            <p class="field-error">{fieldError('owner')}</p>
          </Show>
        </div>
      </div>

      <fieldset class="fieldset" classList={{ 'field-invalid': !!fieldError('reward') }}>
        <legend>Reward policy</legend>
        <p class="hint">How each fee that reaches this Datanet is split between its contributors and you, the owner.</p>
        <div class="reward-row">
          <input
            type="range"
            min="0"
            max="100"
            step="1"
            aria-label="Contributors' share slider"
            value={Number.isFinite(parseNumber(contributorsPct())) ? parseNumber(contributorsPct()) : 0}
            onInput={(e) => setContributorsPct(e.currentTarget.value)}
          />
          <div class="field field-inline">
            <label for="dn-contributors-pct">Contributors' share (%)</label>
            <input
              id="dn-contributors-pct"
              type="number"
              min="0"
              max="100"
              step="0.01"
              inputmode="decimal"
              value={contributorsPct()}
              aria-invalid={!!fieldError('reward')}
              onInput={(e) => setContributorsPct(e.currentTarget.value)}
            />
          </div>
          <p class="reward-owner">
            Owner keeps <strong>{ownerPct()}</strong>
          </p>
        </div>
        <Show when={fieldError('reward')}>
          <p class="field-error">{fieldError('reward')}</p>
        </Show>
      </fieldset>

      <fieldset class="fieldset" classList={{ 'field-invalid': !!fieldError('moderation') }}>
        <legend>Moderation</legend>
        <div class="choice-list">
          <label class="choice">
            <input type="radio" name="dn-moderation" value="quorum" checked={moderation() === 'quorum'} onChange={() => setModeration('quorum')} />
            <span>
              <strong>Quorum of validators</strong>
              <span class="hint">Validators vote; their reputation weighs each vote.</span>
            </span>
          </label>
          <label class="choice">
            <input type="radio" name="dn-moderation" value="owner" checked={moderation() === 'owner'} onChange={() => setModeration('owner')} />
            <span>
              <strong>Owner-moderated</strong>
              <span class="hint">Only you decide what is accepted.</span>
            </span>
          </label>
        </div>
        <Show when={fieldError('moderation')}>
          <p class="field-error">{fieldError('moderation')}</p>
        </Show>
      </fieldset>

      <fieldset class="fieldset">
        <legend>Passages</legend>
        <p class="hint">Contributions are cut into passages of about this many characters, overlapping a little.</p>
        <div class="form-grid">
          <Field id="dn-chunk-size" label="Passage size (characters)" error={fieldError('chunkSize')}>
            <input
              id="dn-chunk-size"
              type="number"
              min="1"
              step="1"
              value={chunkSize()}
              aria-invalid={!!fieldError('chunkSize')}
              aria-describedby={describedBy('dn-chunk-size', false, fieldError('chunkSize'))}
              onInput={(e) => setChunkSize(e.currentTarget.value)}
            />
          </Field>
          <Field id="dn-chunk-overlap" label="Overlap (characters)" error={fieldError('chunkOverlap')}>
            <input
              id="dn-chunk-overlap"
              type="number"
              min="0"
              step="1"
              value={chunkOverlap()}
              aria-invalid={!!fieldError('chunkOverlap')}
              aria-describedby={describedBy('dn-chunk-overlap', false, fieldError('chunkOverlap'))}
              onInput={(e) => setChunkOverlap(e.currentTarget.value)}
            />
          </Field>
        </div>
      </fieldset>

      <ErrorAlert title="The Datanet was not created" error={alertError()} />
      <Show when={created()}>
        {(dn) => (
          <p class="alert alert-success" role="status">
            Created “{dn().name}”. <A href={`/datanets/${dn().id}`}>Open {dn().name}</A>
          </p>
        )}
      </Show>

      <div class="form-actions">
        <button type="submit" class="btn btn-primary" disabled={busy() || !activeIdentity()}>
          {busy() ? (activeIdentity()?.kind === 'wallet' ? 'Sign in your wallet…' : 'Creating…') : 'Create Datanet'}
        </button>
      </div>
    </form>
  );
}
