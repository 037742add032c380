import { For } from 'solid-js';
import type { AdapterSummary } from '../../workerApi/engineApi.ts';

export interface ChatSettings {
  /** '' = the base model */
  adapterId: string;
  temperature: number;
  topP: number;
  topK: number;
  maxTokens: number;
  /** '' = a random seed per answer */
  seed: string;
}

export const DEFAULT_CHAT_SETTINGS: ChatSettings = { adapterId: '', temperature: 0.7, topP: 0.9, topK: 40, maxTokens: 48, seed: '' };

/** The adapter for the next answers (switchable mid-conversation) and the sampling settings. */
export function ChatSettingsPanel(props: { settings: ChatSettings; onChange: (patch: Partial<ChatSettings>) => void; adapters: AdapterSummary[] | undefined }) {
  const num = (v: string, fallback: number): number => {
    const n = Number(v);
    return v.trim() === '' || !Number.isFinite(n) ? fallback : n;
  };
  return (
    <div class="form chat-settings">
      <div class="field">
        <label for="chat-adapter">Adapter</label>
        <select id="chat-adapter" value={props.settings.adapterId} onChange={(e) => props.onChange({ adapterId: e.currentTarget.value })}>
          <option value="" selected={props.settings.adapterId === ''}>
            None (base model)
          </option>
          <For each={props.adapters ?? []}>
            {(a) => (
              <option value={a.id} selected={a.id === props.settings.adapterId}>
                {a.name} (rank {a.rank})
              </option>
            )}
          </For>
        </select>
        <p class="hint">Applies to the next answers; each answer shows the adapter that wrote it. Switching never reloads the base model.</p>
      </div>
      <div class="form-grid chat-sampling">
        <div class="field">
          <label for="chat-temperature">Temperature</label>
          <input id="chat-temperature" type="number" min="0" max="2" step="0.1" value={props.settings.temperature} onChange={(e) => props.onChange({ temperature: num(e.currentTarget.value, 0.7) })} />
        </div>
        <div class="field">
          <label for="chat-top-p">Top-p</label>
          <input id="chat-top-p" type="number" min="0.05" max="1" step="0.05" value={props.settings.topP} onChange={(e) => props.onChange({ topP: num(e.currentTarget.value, 0.9) })} />
        </div>
        <div class="field">
          <label for="chat-top-k">Top-k</label>
          <input id="chat-top-k" type="number" min="0" step="1" value={props.settings.topK} onChange={(e) => props.onChange({ topK: Math.round(num(e.currentTarget.value, 40)) })} />
        </div>
        <div class="field">
          <label for="chat-max-tokens">Max tokens</label>
          <input id="chat-max-tokens" type="number" min="1" max="2048" step="1" value={props.settings.maxTokens} onChange={(e) => props.onChange({ maxTokens: Math.round(num(e.currentTarget.value, 48)) })} />
        </div>
        <div class="field">
          <label for="chat-seed">Seed</label>
          <input id="chat-seed" type="number" min="0" step="1" placeholder="random" value={props.settings.seed} onInput={(e) => props.onChange({ seed: e.currentTarget.value })} />
        </div>
      </div>
      <p class="hint">Temperature 0 always takes the likeliest token. The same seed, settings, adapter and conversation give the same answer.</p>
    </div>
  );
}
