import { createSignal } from 'solid-js';

export const ACCEPTED_EXTENSIONS = '.txt,.md,.markdown,.jsonl,.csv,.pdf,.docx';

interface Props {
  onFiles: (files: File[]) => void;
  disabled?: boolean;
}

/** Drag-and-drop area with a "Choose files" picker inside. */
export function DropZone(props: Props) {
  const [over, setOver] = createSignal(false);
  let depth = 0;
  let input: HTMLInputElement | undefined;

  const hasFiles = (e: DragEvent) => !!e.dataTransfer && [...e.dataTransfer.types].includes('Files');

  return (
    <div
      class="dropzone"
      classList={{ 'dropzone-over': over(), 'dropzone-disabled': !!props.disabled }}
      onDragEnter={(e) => {
        if (!hasFiles(e)) return;
        e.preventDefault();
        depth++;
        setOver(true);
      }}
      onDragOver={(e) => {
        if (!hasFiles(e)) return;
        e.preventDefault();
        if (e.dataTransfer) e.dataTransfer.dropEffect = props.disabled ? 'none' : 'copy';
      }}
      onDragLeave={() => {
        depth = Math.max(0, depth - 1);
        if (depth === 0) setOver(false);
      }}
      onDrop={(e) => {
        e.preventDefault();
        depth = 0;
        setOver(false);
        if (props.disabled) return;
        const files = [...(e.dataTransfer?.files ?? [])];
        if (files.length > 0) props.onFiles(files);
      }}
    >
      <svg class="dropzone-icon" viewBox="0 0 24 24" width="32" height="32" aria-hidden="true">
        <path d="M12 16V4m0 0-4 4m4-4 4 4M5 14v4a2 2 0 0 0 2 2h10a2 2 0 0 0 2-2v-4" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round" />
      </svg>
      <p class="dropzone-text">Drop files here</p>
      <p class="muted small">Text, Markdown, JSONL, CSV, PDF or Word (.docx)</p>
      <input
        id="contribute-files"
        ref={input}
        class="visually-hidden"
        type="file"
        multiple
        accept={ACCEPTED_EXTENSIONS}
        disabled={props.disabled}
        onChange={(e) => {
          const files = [...(e.currentTarget.files ?? [])];
          if (files.length > 0) props.onFiles(files);
          e.currentTarget.value = '';
        }}
      />
      <label for="contribute-files" class="btn btn-secondary" classList={{ disabled: !!props.disabled }}>
        Choose files
      </label>
    </div>
  );
}
