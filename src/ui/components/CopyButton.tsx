import { createSignal, onCleanup } from 'solid-js';

interface Props {
  value: string;
  /** What is copied, for the accessible name: "Copy Merkle root of version 2". */
  label: string;
}

/** Copies `value` to the clipboard and says so. */
export function CopyButton(props: Props) {
  const [state, setState] = createSignal<'idle' | 'copied' | 'failed'>('idle');
  let timer: ReturnType<typeof setTimeout> | undefined;
  onCleanup(() => clearTimeout(timer));

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.value);
      setState('copied');
    } catch {
      setState('failed');
    }
    clearTimeout(timer);
    timer = setTimeout(() => setState('idle'), 2000);
  };

  return (
    <button type="button" class="btn btn-ghost btn-small copy-button" aria-label={props.label} title={props.label} onClick={() => void copy()}>
      {state() === 'copied' ? 'Copied' : state() === 'failed' ? 'Copy failed' : 'Copy'}
    </button>
  );
}
