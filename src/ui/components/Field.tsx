import { Show, type JSX } from 'solid-js';

interface Props {
  /** The id of the control inside; the label points at it, hints and errors are `${id}-hint`/`${id}-error`. */
  id: string;
  label: JSX.Element;
  hint?: JSX.Element;
  error?: string | undefined;
  children: JSX.Element;
  class?: string;
}

/** A labelled form control with an optional hint and an error message under it. */
export function Field(props: Props) {
  return (
    <div class={`field ${props.class ?? ''}`} classList={{ 'field-invalid': !!props.error }}>
      <label for={props.id}>{props.label}</label>
      {props.children}
      <Show when={props.hint}>
        <p class="hint" id={`${props.id}-hint`}>
          {props.hint}
        </p>
      </Show>
      <Show when={props.error}>
        <p class="field-error" id={`${props.id}-error`}>
          {props.error}
        </p>
      </Show>
    </div>
  );
}

/** `aria-describedby` for a control inside a Field. */
export function describedBy(id: string, hint: boolean, error: string | undefined): string | undefined {
  const ids = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean);
  return ids.length ? ids.join(' ') : undefined;
}
