import { Show, createSignal } from 'solid-js';
import type { ExportedPack, Progress } from '../../workerApi/dataApi.ts';
import type { Datanet } from '../../core/types.ts';
import { exportPackAs } from '../lib/walletSigning.ts';
import { downloadBytes } from '../lib/download.ts';
import { formatBytes } from '../lib/format.ts';
import { CopyButton } from './CopyButton.tsx';
import { ErrorAlert } from './ErrorAlert.tsx';
import { ProgressBar } from './ProgressBar.tsx';

/** "Export pack": the current version as a .zip download, with its manifest hash. */
export function ExportPackPanel(props: { datanet: Datanet }) {
  const [busy, setBusy] = createSignal(false);
  const [progress, setProgress] = createSignal<Progress>();
  const [error, setError] = createSignal<unknown>();
  const [exported, setExported] = createSignal<{ pack: ExportedPack; size: number }>();

  const exportPack = async () => {
    setBusy(true);
    setError(undefined);
    setExported(undefined);
    setProgress(undefined);
    try {
      const pack = await exportPackAs(props.datanet, props.datanet.currentVersion, (p) => setProgress(p));
      downloadBytes(pack.bytes, pack.fileName);
      setExported({ pack, size: pack.bytes.byteLength });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
      setProgress(undefined);
    }
  };

  const hasVersion = () => props.datanet.currentVersion > 0;

  return (
    <div class="export-pack">
      <p class="hint">
        {hasVersion()
          ? `Download version ${props.datanet.currentVersion} as a pack anyone can import and verify.`
          : 'A pack holds a published version; this Datanet has none yet, because nothing has been accepted.'}
      </p>
      <button type="button" class="btn btn-secondary" disabled={busy() || !hasVersion()} onClick={() => void exportPack()}>
        {busy() ? 'Exporting…' : 'Export pack'}
      </button>
      <Show when={busy()}>
        <ProgressBar progress={progress()} label="Exporting pack…" />
      </Show>
      <ErrorAlert title="The pack was not exported" error={error()} />
      <Show when={exported()}>
        {(x) => (
          <div class="alert alert-success" role="status">
            <p>
              Saved <strong>{x().pack.fileName}</strong> ({formatBytes(x().size)}).
            </p>
            <div class="hash-cell">
              <span>Manifest hash</span>
              <code class="mono hash">{x().pack.manifestHash}</code>
              <CopyButton value={x().pack.manifestHash} label="Copy manifest hash" />
            </div>
          </div>
        )}
      </Show>
    </div>
  );
}
