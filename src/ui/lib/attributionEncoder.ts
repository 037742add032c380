/**
 * The passage encoder chosen for attribution's embeddings (Settings → Attribution encoder), kept in localStorage:
 * the loaded chat model's own hidden states (the default) or an ONNX sentence encoder by folder URL. Answers are
 * traced with it (ui/lib/answerAttribution); an index is only ever queried with the encoder that made it, so
 * switching builds (or loads the stored) embeddings of that encoder.
 */
import { createSignal } from 'solid-js';
import type { EncoderChoice } from '../../workerApi/attributionApi.ts';

export const ENCODER_CHOICE_KEY = 'tributary.attributionEncoder';

function remembered(): EncoderChoice {
  try {
    const v = JSON.parse(localStorage.getItem(ENCODER_CHOICE_KEY) ?? 'null') as unknown;
    if (typeof v === 'object' && v !== null && (v as EncoderChoice).kind === 'onnx' && typeof (v as { url?: unknown }).url === 'string') return { kind: 'onnx', url: (v as { url: string }).url };
  } catch {
    // unreadable or unavailable storage: the default
  }
  return { kind: 'model' };
}

const [choice, setChoice] = createSignal<EncoderChoice>(remembered());

/** The encoder answers are traced with. */
export const attributionEncoder = choice;

export function chooseAttributionEncoder(next: EncoderChoice): void {
  setChoice(next);
  try {
    if (next.kind === 'model') localStorage.removeItem(ENCODER_CHOICE_KEY);
    else localStorage.setItem(ENCODER_CHOICE_KEY, JSON.stringify(next));
  } catch {
    // storage unavailable: the choice lasts for this session
  }
}
