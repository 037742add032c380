/**
 * Picks the two PEFT files out of what a person chose (`adapter_config.json` — or any single `.json` — and
 * `adapter_model.safetensors` — or any single `.safetensors`), parses them for a base model, and makes every error
 * name the file the person picked and why it was refused.
 */
import { TributaryError, isTributaryError } from '../../core/errors.ts';
import { PEFT_CONFIG_FILE, PEFT_WEIGHTS_FILE, parsePeftAdapter, type AdapterInfo, type PeftAdapter } from '../../engine/lora/peft.ts';
import type { LlamaConfig } from '../../engine/model/types.ts';

export interface NamedBytes {
  name: string;
  bytes: Uint8Array;
}

const base = (n: string): string => n.slice(n.lastIndexOf('/') + 1);

/** Which picked file is the config and which the weights. */
export function pickPeftFiles(files: readonly NamedBytes[]): { config: NamedBytes; weights: NamedBytes } {
  if (files.length === 0) throw new TributaryError('lora/config', `Pick both files of the adapter: ${PEFT_CONFIG_FILE} and ${PEFT_WEIGHTS_FILE}.`);
  const find = (exact: string, ext: string, what: string): NamedBytes => {
    const byName = files.filter((f) => base(f.name) === exact);
    if (byName.length === 1) return byName[0]!;
    const byExt = files.filter((f) => base(f.name).toLowerCase().endsWith(ext));
    if (byExt.length === 1) return byExt[0]!;
    const picked = files.map((f) => base(f.name)).join(', ');
    if (byExt.length === 0) {
      throw new TributaryError(
        ext === '.json' ? 'lora/config' : 'lora/weights',
        `${what} is missing: none of the picked files (${picked}) is a ${ext} file. Pick ${PEFT_CONFIG_FILE} and ${PEFT_WEIGHTS_FILE} together.`,
        exact,
      );
    }
    throw new TributaryError(ext === '.json' ? 'lora/config' : 'lora/weights', `Several picked files could be ${what} (${byExt.map((f) => base(f.name)).join(', ')}); pick one adapter at a time.`, exact);
  };
  const config = find(PEFT_CONFIG_FILE, '.json', `The adapter's configuration (${PEFT_CONFIG_FILE})`);
  const weights = find(PEFT_WEIGHTS_FILE, '.safetensors', `The adapter's weights (${PEFT_WEIGHTS_FILE})`);
  const extra = files.filter((f) => f !== config && f !== weights);
  if (extra.length > 0) {
    throw new TributaryError('lora/config', `Pick only the two adapter files; ${extra.map((f) => base(f.name)).join(', ')} is not part of a PEFT adapter.`, base(extra[0]!.name));
  }
  return { config, weights };
}

/** Re-labels an error of the PEFT parser with the name of the file the person picked. */
export function renameSubject(e: unknown, names: { config: string; weights: string }): unknown {
  if (!isTributaryError(e)) return e;
  const subject = e.subject === PEFT_CONFIG_FILE ? names.config : e.subject === PEFT_WEIGHTS_FILE ? names.weights : e.subject;
  const prefix = e.subject !== undefined ? `${e.subject}: ` : '';
  const raw = prefix && e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message;
  return new TributaryError(e.code, raw, subject);
}

/** Parses picked PEFT files for a base model; errors name the picked file. */
export function parsePickedAdapter(files: readonly NamedBytes[], model: LlamaConfig, info: AdapterInfo): { adapter: PeftAdapter; config: NamedBytes; weights: NamedBytes } {
  const { config, weights } = pickPeftFiles(files);
  const names = { config: base(config.name), weights: base(weights.name) };
  if (weights.bytes.length === 0) throw new TributaryError('lora/weights', 'The file is empty.', names.weights);
  if (config.bytes.length === 0) throw new TributaryError('lora/config', 'The file is empty.', names.config);
  try {
    return { adapter: parsePeftAdapter({ config: config.bytes, weights: weights.bytes }, model, info), config, weights };
  } catch (e) {
    throw renameSubject(e, names);
  }
}
