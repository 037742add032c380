import { For, Show } from 'solid-js';
import type { TrainingSource } from '../../store/trainingData.ts';
import { plural } from '../lib/format.ts';

interface Props {
  sources: TrainingSource[] | undefined;
  selected: readonly string[];
  onToggle: (id: string, on: boolean) => void;
  disabled?: boolean;
}

/** Datanets to train on, each with its accepted contributions and passages (only accepted data trains an adapter). */
export function FactoryDatanetPicker(props: Props) {
  return (
    <Show when={(props.sources ?? []).length > 0} fallback={<p class="empty">No Datanets yet: create one or import a pack on the Datanets page.</p>}>
      <ul class="mf-datanets" id="mf-datanets">
        <For each={props.sources}>
          {(d) => (
            <li data-datanet={d.id}>
              <label>
                <input
                  type="checkbox"
                  checked={props.selected.includes(d.id)}
                  disabled={props.disabled}
                  onChange={(e) => props.onToggle(d.id, e.currentTarget.checked)}
                />
                <span>{d.name}</span>
                <span class="mf-datanet-counts">
                  <Show when={d.accepted > 0} fallback={<>no accepted contributions</>}>
                    v{d.version} · {plural(d.accepted, 'accepted contribution')} · {plural(d.passages, 'passage')}
                  </Show>
                </span>
              </label>
            </li>
          )}
        </For>
      </ul>
    </Show>
  );
}
