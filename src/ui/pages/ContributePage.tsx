import { For, Show, createEffect, createMemo, createSignal, on } from 'solid-js';
import { A, useSearchParams } from '@solidjs/router';
import type { ContributionPreview, ContributionSource, Progress, SubmitResult } from '../../workerApi/dataApi.ts';
import { getDataApi } from '../../client/dataClient.ts';
import { UPLOAD_LIMITS } from '../../core/limits.ts';
import { listDatanets } from '../../store/datanets.ts';
import { getDb } from '../../store/db.ts';
import { DropZone } from '../components/DropZone.tsx';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { LimitsNote } from '../components/LimitsNote.tsx';
import { PreviewCard } from '../components/PreviewCard.tsx';
import { ProgressBar } from '../components/ProgressBar.tsx';
import { byCount, formatBytes, plural } from '../lib/format.ts';
import { activeAddress, activeIdentity, describeIdentity } from '../lib/identity.ts';
import { createLiveQuery } from '../lib/liveQuery.ts';
import { submitContributionsAs } from '../lib/walletSigning.ts';

const fileKey = (f: File) => `${f.name}|${f.size}|${f.lastModified}`;

export function ContributePage() {
  const [search, setSearch] = useSearchParams<{ datanet?: string }>();
  const datanets = createLiveQuery(() => listDatanets(getDb()));

  /** The chosen Datanet: the `?datanet=` parameter when it exists, else the first one. */
  const datanetId = createMemo(() => {
    const list = datanets();
    if (!list || list.length === 0) return undefined;
    const wanted = search.datanet;
    return list.find((d) => d.id === wanted)?.id ?? list[0]?.id;
  });
  const datanet = () => datanets()?.find((d) => d.id === datanetId());

  const [files, setFiles] = createSignal<File[]>([]);
  const [pasteTitle, setPasteTitle] = createSignal('');
  const [pasteText, setPasteText] = createSignal('');

  const [phase, setPhase] = createSignal<'idle' | 'previewing' | 'submitting'>('idle');
  const [progress, setProgress] = createSignal<Progress>();
  const [error, setError] = createSignal<{ title: string; error: unknown }>();
  const [previews, setPreviews] = createSignal<ContributionPreview[]>();
  const [result, setResult] = createSignal<{ result: SubmitResult; titles: Map<string, string>; datanetId: string }>();

  // Previews belong to one Datanet and one contributor: start over when either changes.
  createEffect(
    on([datanetId, activeAddress], () => {
      setPreviews(undefined);
    }, { defer: true }),
  );

  const addFiles = (more: File[]) => {
    setPreviews(undefined);
    setResult(undefined);
    setFiles((current) => {
      const seen = new Set(current.map(fileKey));
      return [...current, ...more.filter((f) => !seen.has(fileKey(f)))];
    });
  };
  const removeFile = (f: File) => {
    setPreviews(undefined);
    setFiles((current) => current.filter((x) => x !== f));
  };

  const hasSources = () => files().length > 0 || pasteText().trim() !== '';
  const submittable = () => (previews() ?? []).filter((p): p is Extract<ContributionPreview, { ok: true }> => p.ok && p.newChunkCount > 0);

  const preview = async () => {
    const id = datanetId();
    const contributor = activeAddress();
    if (!id || !contributor) return;
    setPhase('previewing');
    setError(undefined);
    setResult(undefined);
    setPreviews(undefined);
    setProgress(undefined);
    try {
      const sources: ContributionSource[] = [];
      for (const f of files()) {
        sources.push({ kind: 'file', name: f.name, bytes: new Uint8Array(await f.arrayBuffer()), ...(f.type ? { mediaType: f.type } : {}) });
      }
      if (pasteText().trim() !== '') sources.push({ kind: 'text', title: pasteTitle().trim() || 'Pasted text', text: pasteText() });
      setPreviews(await getDataApi().previewContributions(id, contributor, sources, (p) => setProgress(p)));
    } catch (err) {
      setError({ title: 'The preview failed', error: err });
    } finally {
      setPhase('idle');
      setProgress(undefined);
    }
  };

  const submit = async () => {
    const id = datanetId();
    const contributor = activeAddress();
    const ready = submittable();
    if (!id || !contributor || ready.length === 0) return;
    setPhase('submitting');
    setError(undefined);
    setProgress(undefined);
    try {
      const titles = new Map(ready.map((p) => [p.previewId, p.title]));
      // Signed by the local key, or in the wallet when the wallet's account is the active identity.
      const res = await submitContributionsAs(
        ready.map((p) => p.previewId),
        contributor,
        (p) => setProgress(p),
      );
      setResult({ result: res, titles, datanetId: id });
      setPreviews(undefined);
      setFiles([]);
      setPasteText('');
      setPasteTitle('');
    } catch (err) {
      setError({ title: 'Nothing was submitted', error: err });
    } finally {
      setPhase('idle');
      setProgress(undefined);
    }
  };

  return (
    <section class="page">
      <header class="page-header">
        <div>
          <h1>Contribute</h1>
          <p class="lead">
            Add texts to a Datanet. They are cut into passages, checked for duplicates, signed with your key and wait
            for validators.
          </p>
        </div>
      </header>

      <Show
        when={datanets()}
        fallback={<p class="muted">Loading Datanets…</p>}
      >
        <Show
          when={(datanets() ?? []).length > 0}
          fallback={
            <p class="empty">
              There is no Datanet to contribute to yet. <A href="/datanets">Create one</A> first.
            </p>
          }
        >
          <div class="contribute-layout">
            <div class="contribute-main">
              <div class="card">
                <div class="form-grid">
                  <div class="field">
                    <label for="contribute-datanet">Datanet</label>
                    <select
                      id="contribute-datanet"
                      onChange={(e) => setSearch({ datanet: e.currentTarget.value }, { replace: true })}
                    >
                      <For each={datanets()}>
                        {(d) => (
                          <option value={d.id} selected={d.id === datanetId()}>
                            {d.name}
                          </option>
                        )}
                      </For>
                    </select>
                    <Show when={datanet()}>
                      {(d) => (
                        <p class="hint">
                          {d().summary} Passages of {d().chunking.size} characters.{' '}
                          <A href={`/datanets/${d().id}`}>About this Datanet</A>
                        </p>
                      )}
                    </Show>
                  </div>
                  <div class="field">
                    <span class="label" id="contribute-as-label">
                      Contributing as
                    </span>
                    <p class="fixed-value mono" aria-labelledby="contribute-as-label">
                      {activeIdentity() ? describeIdentity(activeIdentity()!) : 'Loading identity…'}
                    </p>
                  </div>
                </div>
              </div>

              <section class="card" aria-labelledby="files-title">
                <h2 id="files-title">Files</h2>
                <DropZone onFiles={addFiles} disabled={phase() !== 'idle'} />
                <Show when={files().length > 0}>
                  <ul class="file-list" aria-label="Chosen files">
                    <For each={files()}>
                      {(f) => (
                        <li>
                          <span class="file-name">{f.name}</span>
                          <span class="muted small">{formatBytes(f.size)}</span>
                          <Show when={f.size > UPLOAD_LIMITS.maxFileBytes}>
                            <span class="badge badge-rejected">over {formatBytes(UPLOAD_LIMITS.maxFileBytes)}</span>
                          </Show>
                          <button type="button" class="btn btn-ghost btn-small" aria-label={`Remove ${f.name}`} onClick={() => removeFile(f)} disabled={phase() !== 'idle'}>
                            Remove
                          </button>
                        </li>
                      )}
                    </For>
                  </ul>
                </Show>
              </section>

              <section class="card" aria-labelledby="paste-title-heading">
                <h2 id="paste-title-heading">Paste text</h2>
                <div class="field">
                  <label for="paste-title">Title</label>
                  <input
                    id="paste-title"
                    type="text"
                    placeholder="Pasted text"
                    value={pasteTitle()}
                    onInput={(e) => {
                      setPasteTitle(e.currentTarget.value);
                      setPreviews(undefined);
                    }}
                  />
                </div>
                <div class="field">
                  <label for="paste-text">Text</label>
                  <textarea
                    id="paste-text"
                    rows={8}
                    value={pasteText()}
                    onInput={(e) => {
                      setPasteText(e.currentTarget.value);
                      setPreviews(undefined);
                    }}
                  />
                </div>
              </section>

              <div class="action-bar">
                <button type="button" class="btn btn-primary" disabled={phase() !== 'idle' || !hasSources() || !activeAddress()} onClick={() => void preview()}>
                  {phase() === 'previewing' ? 'Previewing…' : 'Preview'}
                </button>
                <Show when={!hasSources() && !previews()}>
                  <span class="muted small">Choose files or paste text first.</span>
                </Show>
              </div>

              <Show when={phase() !== 'idle'}>
                <ProgressBar progress={progress()} label={phase() === 'previewing' ? 'Preparing preview…' : 'Signing and saving…'} />
              </Show>
              <ErrorAlert title={error()?.title} error={error()?.error} />

              <Show when={previews()}>
                {(list) => (
                  <section class="card" aria-labelledby="preview-title">
                    <h2 id="preview-title">Preview</h2>
                    <p class="muted">
                      {plural(list().length, 'source')}: {submittable().length} ready, {list().length - submittable().length} with problems. Nothing is
                      stored until you submit.
                    </p>
                    <div class="preview-list">
                      <For each={list()}>{(p) => <PreviewCard preview={p} />}</For>
                    </div>
                    <div class="action-bar">
                      <button type="button" class="btn btn-primary" disabled={phase() !== 'idle' || submittable().length === 0} onClick={() => void submit()}>
                        {phase() === 'submitting' ? 'Submitting…' : `Submit ${plural(submittable().length, 'contribution')}`}
                      </button>
                      <Show when={submittable().length === 0}>
                        <span class="muted small">Nothing to submit: fix the problems above and preview again.</span>
                      </Show>
                    </div>
                  </section>
                )}
              </Show>

              <Show when={result()}>
                {(r) => (
                  <section class="card" aria-labelledby="result-title">
                    <h2 id="result-title">Submitted</h2>
                    <Show when={r().result.submitted.length > 0}>
                      <div class="alert alert-success" role="status">
                        <p>
                          {plural(r().result.submitted.length, 'contribution')} signed and saved.{' '}
                          {byCount(r().result.submitted.length, 'It now waits', 'They now wait')} for validators.{' '}
                          <A href="/validate">Go to Validate</A> · <A href={`/datanets/${r().datanetId}`}>Open the Datanet</A>
                        </p>
                      </div>
                      <ul class="result-list">
                        <For each={r().result.submitted}>
                          {(c) => (
                            <li>
                              <strong>{c.title}</strong> — {plural(c.chunkCount, 'passage')}, pending
                              <span class="mono small muted break"> {c.id}</span>
                            </li>
                          )}
                        </For>
                      </ul>
                    </Show>
                    <For each={r().result.failed}>
                      {(f) => <ErrorAlert error={{ ...f.error, subject: f.error.subject ?? r().titles.get(f.previewId) }} />}
                    </For>
                  </section>
                )}
              </Show>
            </div>

            <div class="contribute-side">
              <div class="card">
                <LimitsNote datanetId={datanetId()} contributor={activeAddress()} />
              </div>
              <div class="card">
                <h2 class="h3">How it works</h2>
                <ol class="steps">
                  <li>Preview: the text is extracted and cut into passages; passages already in the Datanet are left out.</li>
                  <li>Submit: each source becomes one contribution, signed with your local key.</li>
                  <li>Validators approve or reject it; accepted ones go into the next version.</li>
                </ol>
              </div>
            </div>
          </div>
        </Show>
      </Show>
    </section>
  );
}
