/** Validate before replace (issue 10): a hostile model folder is refused and the user keeps their model. */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { TributaryError } from '../../core/errors.ts';
import { writeSafetensors } from '../../engine/formats/safetensors.ts';
import { hfTensorsFromWeights } from '../../engine/formats/weights.ts';
import { randomModel } from '../../engine/model/randomModel.ts';
import { BASE, FOLDER, ask, makeEngine } from './engine.testkit.ts';
describe('EngineService: a hostile model folder does not cost the user their model (validate before replace)', () => {
  const picked = (files: Map<string, Uint8Array>): File[] =>
    ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors'].map((n) => new File([files.get(n)!.slice()], n));
  const withConfig = (edit: (c: Record<string, unknown>) => Record<string, unknown>): Map<string, Uint8Array> => {
    const files = new Map(FOLDER);
    const c = JSON.parse(new TextDecoder().decode(FOLDER.get('config.json'))) as Record<string, unknown>;
    files.set('config.json', new TextEncoder().encode(JSON.stringify(edit(c))));
    return files;
  };

  async function loadedDemo() {
    const { engine } = makeEngine();
    await engine.init({ appBaseUrl: BASE });
    const before = await engine.ensureModel();
    return { engine, before };
  }

  it.each([
    ['2^31 layers', () => withConfig((c) => ({ ...c, num_hidden_layers: 2 ** 31 })), 'model/config'],
    ['more layers than the weights hold', () => withConfig((c) => ({ ...c, num_hidden_layers: 3 })), 'model/missing-tensor'],
    ['a wider hidden size than the weights', () => withConfig((c) => ({ ...c, hidden_size: 128, head_dim: 16 })), 'model/tensor-shape'],
    ['a hostile tokenizer regex', () => {
      const files = new Map(FOLDER);
      const t = JSON.parse(new TextDecoder().decode(FOLDER.get('tokenizer.json'))) as Record<string, unknown>;
      files.set('tokenizer.json', new TextEncoder().encode(JSON.stringify({ ...t, pre_tokenizer: { type: 'Split', pattern: { Regex: '(a+)+$' }, behavior: 'Isolated' } })));
      return files;
    }, 'tokenizer/unsupported'],
  ])('%s: refused, and the loaded model still answers', async (_, make, code) => {
    const { engine, before } = await loadedDemo();
    const err = await engine.loadModel({ kind: 'files', files: picked(make()) }, {}).catch((e: unknown) => e);
    expect((err as TributaryError).code).toBe(code);
    // still loaded: ensureModel answers at once, without loading anything again
    const phases: string[] = [];
    expect((await engine.ensureModel((p) => phases.push(p.phase))).id).toBe(before.id);
    expect(phases).toEqual([]);
    const a = await engine.chat('still-here', ask, { maxTokens: 4, temperature: 0 }, () => undefined);
    expect(a.generated).toBeGreaterThan(0);
  });

  it('NaN weights found while building: the previous model is put back', async () => {
    const { engine, before } = await loadedDemo();
    const { config, weights } = randomModel({ seed: 5, vocabSize: 259, hiddenSize: 64, intermediateSize: 128, numLayers: 2, numHeads: 4, numKvHeads: 2, maxPositionEmbeddings: 256 });
    weights.layers[1]!.inputNorm[3] = Number.NaN;
    const files = new Map(FOLDER);
    files.set('model.safetensors', writeSafetensors(hfTensorsFromWeights(config, weights, 'F32')));
    const err = await engine.loadModel({ kind: 'files', files: picked(files) }, {}).catch((e: unknown) => e);
    expect((err as TributaryError).code).toBe('model/non-finite');
    const phases: string[] = [];
    expect((await engine.ensureModel((p) => phases.push(p.phase))).id).toBe(before.id);
    expect(phases).toEqual([]);
    const a = await engine.chat('restored', ask, { maxTokens: 4, temperature: 0 }, () => undefined);
    expect(a.generated).toBeGreaterThan(0);
  });
});
