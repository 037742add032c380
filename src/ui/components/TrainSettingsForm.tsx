import { For, Show } from 'solid-js';
import { ADAPTER_TARGETS, MAX_PRIOR_PROMPTS, PRIOR_ANSWER_TOKENS, type TrainSettingsDraft, type TrainSettingsField } from '../../core/trainSettings.ts';

interface Props {
  draft: TrainSettingsDraft;
  errors: Partial<Record<TrainSettingsField, string>>;
  onChange: (patch: Partial<TrainSettingsDraft>) => void;
  disabled?: boolean;
}

type NumField = Exclude<TrainSettingsField, 'targets'>;

const FIELDS: { key: NumField; label: string; hint: string; step?: string }[] = [
  { key: 'rank', label: 'Rank', hint: 'LoRA rank r (1–32)' },
  { key: 'alpha', label: 'Alpha', hint: 'scale = alpha / rank' },
  { key: 'dropout', label: 'Dropout', hint: '0 to 0.9', step: 'any' },
  { key: 'learningRate', label: 'Learning rate', hint: 'peak, after warmup', step: 'any' },
  { key: 'epochs', label: 'Epochs', hint: 'passes over the data (0.5 = half)' },
  { key: 'batchSize', label: 'Batch size', hint: 'examples per micro-batch' },
  { key: 'seqLen', label: 'Sequence length', hint: 'tokens per example' },
  { key: 'warmupSteps', label: 'Warmup steps', hint: 'then cosine decay' },
  { key: 'weightDecay', label: 'Weight decay', hint: 'AdamW, 0 to 1', step: 'any' },
  { key: 'clip', label: 'Gradient clip', hint: '0 = off', step: 'any' },
  { key: 'gradAccum', label: 'Gradient accumulation', hint: 'micro-batches per step' },
  { key: 'seed', label: 'Seed', hint: 'same seed, same run' },
  { key: 'heldOutFraction', label: 'Held-out share', hint: 'of passages, 0.05–0.5', step: 'any' },
  { key: 'priorPrompts', label: 'General questions', hint: `prior preservation, 0 = off (at most ${MAX_PRIOR_PROMPTS})` },
];

const TARGET_LABEL: Record<string, string> = { q: 'q_proj', k: 'k_proj', v: 'v_proj', o: 'o_proj', gate: 'gate_proj', up: 'up_proj', down: 'down_proj' };

/** The hyper-parameters of a LoRA run; each field shows its own message when the value is refused. */
export function TrainSettingsForm(props: Props) {
  return (
    <div class="mf-settings">
      <div class="mf-grid">
        <For each={FIELDS}>
          {(f) => (
            <label classList={{ 'field-invalid': !!props.errors[f.key] }}>
              <span>{f.label}</span>
              <input
                id={`mf-${f.key}`}
                name={f.key}
                type="text"
                inputmode="decimal"
                value={props.draft[f.key]}
                disabled={props.disabled}
                aria-invalid={props.errors[f.key] ? 'true' : undefined}
                aria-describedby={props.errors[f.key] ? `mf-${f.key}-error` : `mf-${f.key}-hint`}
                onInput={(e) => props.onChange({ [f.key]: e.currentTarget.value })}
              />
              <Show when={props.errors[f.key]} fallback={<span class="hint" id={`mf-${f.key}-hint`}>{f.hint}</span>}>
                <span class="mf-field-error field-error" id={`mf-${f.key}-error`} role="alert">
                  {props.errors[f.key]}
                </span>
              </Show>
            </label>
          )}
        </For>
      </div>
      <p class="hint" id="mf-prior-about">
        General questions: before training, the base model answers this many everyday questions no Datanet is about (up to {PRIOR_ANSWER_TOKENS} tokens
        each), and the adapter also trains on those answers, so it answers what its Datanets do not cover as the base does instead of reciting passages.
      </p>
      <fieldset class="mf-targets" id="mf-targets" aria-describedby={props.errors.targets ? 'mf-targets-error' : undefined}>
        <legend>Target modules</legend>
        <For each={ADAPTER_TARGETS}>
          {(t) => (
            <label>
              <input
                type="checkbox"
                value={t}
                checked={props.draft.targets.includes(t)}
                disabled={props.disabled}
                onChange={(e) => props.onChange({ targets: e.currentTarget.checked ? [...props.draft.targets, t] : props.draft.targets.filter((x) => x !== t) })}
              />{' '}
              {TARGET_LABEL[t]}
            </label>
          )}
        </For>
      </fieldset>
      <Show when={props.errors.targets}>
        <p class="mf-field-error field-error" id="mf-targets-error" role="alert">
          {props.errors.targets}
        </p>
      </Show>
    </div>
  );
}
