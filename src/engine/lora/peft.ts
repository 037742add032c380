/**
 * LoRA adapters in Hugging Face PEFT layout: `adapter_config.json` + `adapter_model.safetensors`.
 *
 * Accepted (what `peft` writes for a Llama-family `LoraConfig`):
 * - `adapter_config.json`: `peft_type` "LORA" (or absent), `r` (whole number ≥ 0; 0 = a no-op adapter), `lora_alpha`,
 *   `target_modules` (a list of names — `q_proj`, `k_proj`, `v_proj`, `o_proj`, `gate_proj`, `up_proj`, `down_proj`,
 *   optionally as full paths — or `"all-linear"`, or a regular expression that must full-match each module path),
 *   `use_rslora` (scale `alpha / sqrt(r)` instead of `alpha / r`), `base_model_name_or_path`, `layers_to_transform`.
 *   Refused with a clear error: `fan_in_fan_out: true`, `use_dora: true`, a non-empty `rank_pattern` / `alpha_pattern`
 *   / `modules_to_save`, `bias` other than "none", `lora_bias`, `layer_replication`, `trainable_token_indices`, and target
 *   modules this engine cannot adapt (embed_tokens, lm_head). `exclude_modules` is honoured by checking tensors one by one.
 * - `adapter_model.safetensors` (F32, F16 or BF16): `base_model.model.model.layers.{i}.self_attn.{q,k,v,o}_proj.lora_{A,B}.weight`
 *   and `...mlp.{gate,up,down}_proj.lora_{A,B}.weight` (the `base_model.model.` prefix and a `.default` adapter-name
 *   infix are optional), `A [r, in]`, `B [out, r]` (PyTorch layout). Every targeted module of every transformed layer
 *   needs both A and B; shapes must match the base model (`loraTargetDims`); NaN/±Infinity are refused.
 * - Tributary provenance travels in the safetensors `__metadata__` (ignored by `peft`): `tributary.name`,
 *   `tributary.owner` (0x address), `tributary.datanets` (JSON list of Datanet ids). It is part of the hashed bytes, so
 *   an adapter's id (`sha256` of `adapter_model.safetensors`) commits to who made it and from which data.
 *
 * `writePeftAdapter` writes F32 tensors in a fixed order, so `write(parse(write(a)))` is byte-identical to `write(a)`.
 *
 * @example
 * const adapter = parsePeftAdapter({ config: configJsonText, weights: safetensorsBytes }, model.config, { name: 'legal-qa' });
 * model.setLoraSlot(0, adapter.weights);
 * const files = writePeftAdapter(adapter); // { 'adapter_config.json': Uint8Array, 'adapter_model.safetensors': Uint8Array }
 */
import { describeValue } from '../../core/describeValue.ts';
import { nestsDeeperThan } from '../../core/jsonDepth.ts';
import { regexSafetyProblem } from '../../core/regexSafety.ts';
import type { AdapterMeta, AdapterTarget } from '../../core/adapter.ts';
import { TributaryError, isTributaryError } from '../../core/errors.ts';
import { sha256Hex } from '../../core/hash.ts';
import type { Address } from '../../core/types.ts';
import { parseSafetensorsHeader, decodeTensor, writeSafetensors, type TensorToWrite } from '../formats/safetensors.ts';
import { loraTargetDims } from '../model/loraTargetDims.ts';
import { LORA_TARGETS, type LlamaConfig, type LoraAdapterWeights, type LoraTarget } from '../model/types.ts';

export const PEFT_CONFIG_FILE = 'adapter_config.json';
export const PEFT_WEIGHTS_FILE = 'adapter_model.safetensors';

/** What the registry, the pool and the Adapters page know about an adapter without its weights (src/core/adapter.ts). */
export type { AdapterMeta };

// core's AdapterTarget must stay the engine's LoraTarget (core cannot import the engine)
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const targetsAgree: Same<AdapterTarget, LoraTarget> = true;
void targetsAgree;

/** A parsed adapter: its metadata and its matrices (`weights.scale` is always set). */
export interface PeftAdapter {
  meta: AdapterMeta;
  weights: LoraAdapterWeights;
}

/** Provenance given by the caller (wins over the file's own `tributary.*` metadata). */
export interface AdapterInfo {
  name?: string;
  owner?: Address | null;
  datanets?: readonly string[];
  baseModel?: string | null;
  useRslora?: boolean;
}

export interface PeftFiles {
  /** `adapter_config.json` as text or bytes */
  config: string | Uint8Array;
  /** `adapter_model.safetensors` */
  weights: Uint8Array;
}

const PEFT_NAME: Readonly<Record<LoraTarget, string>> = {
  q: 'q_proj',
  k: 'k_proj',
  v: 'v_proj',
  o: 'o_proj',
  gate: 'gate_proj',
  up: 'up_proj',
  down: 'down_proj',
};
const PARENT: Readonly<Record<LoraTarget, 'self_attn' | 'mlp'>> = { q: 'self_attn', k: 'self_attn', v: 'self_attn', o: 'self_attn', gate: 'mlp', up: 'mlp', down: 'mlp' };
const BY_PEFT_NAME = new Map(LORA_TARGETS.map((t) => [PEFT_NAME[t], t] as const));
const ADDRESS_RE = /^0x[0-9a-fA-F]{40}$/;

/** Bounds for adapter_config.json (real adapters: r ≤ 256, lora_alpha ≤ 512, scale ≤ 64). */
export const PEFT_LIMITS = {
  maxRank: 4096,
  maxAlpha: 65_536,
  /** Largest accepted `alpha / r` (or `alpha / sqrt(r)`): beyond it every logit overflows. */
  maxScale: 1024,
  maxLayers: 4096,
  maxDepth: 32,
  regex: { maxLength: 1000, maxRepeats: 4 },
} as const;

/** PEFT module name of a target (`q` → `q_proj`). */
export function peftModuleName(t: LoraTarget): string {
  return PEFT_NAME[t];
}

/** The scale PEFT applies: `alpha / r`, or `alpha / sqrt(r)` with rsLoRA; 0 for r = 0. */
export function loraScale(rank: number, alpha: number, useRslora: boolean): number {
  if (rank === 0) return 0;
  return useRslora ? alpha / Math.sqrt(rank) : alpha / rank;
}

/** The safetensors key PEFT uses for a module's A or B. */
export function peftTensorName(layer: number, t: LoraTarget, ab: 'A' | 'B'): string {
  return `base_model.model.model.layers.${layer}.${PARENT[t]}.${PEFT_NAME[t]}.lora_${ab}.weight`;
}

const cfgErr = (m: string): TributaryError =>
  new TributaryError('lora/config', `${m} Export the adapter again with peft's LoraConfig (see docs/ENGINE-CONTRACT.md).`, PEFT_CONFIG_FILE);
const wErr = (m: string): TributaryError => new TributaryError('lora/weights', m, PEFT_WEIGHTS_FILE);
const mismatch = (m: string): TributaryError =>
  new TributaryError('lora/mismatch', `${m} The adapter was trained for another base model; pick the model it was made for.`, PEFT_WEIGHTS_FILE);

interface ParsedConfig {
  r: number;
  alpha: number;
  useRslora: boolean;
  baseModel: string | null;
  /** list form: the targets listed; otherwise null (taken from the tensors, each checked by `accepts`) */
  listed: Set<LoraTarget> | null;
  accepts: (path: string, t: LoraTarget) => boolean;
  /** layers the adapter covers, or null for all */
  layers: Set<number> | null;
}

/** Maps one `target_modules` entry (a name or a dotted path) to a target, or explains why it cannot. */
function targetOfName(name: string): LoraTarget {
  const last = name.split('.').pop() ?? name;
  const t = BY_PEFT_NAME.get(last);
  if (!t) {
    throw new TributaryError(
      'lora/config',
      `target_modules names "${name}", which this engine cannot adapt (supported: ${LORA_TARGETS.map((x) => PEFT_NAME[x]).join(', ')}). ` +
        'Train the adapter on those modules only.',
      PEFT_CONFIG_FILE,
    );
  }
  return t;
}

function parseConfig(raw: string | Uint8Array): ParsedConfig {
  let text: string;
  if (typeof raw === 'string') text = raw;
  else {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
    } catch {
      throw cfgErr('The file is not valid UTF-8 text.');
    }
  }
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw cfgErr(`The file is not JSON (${(e as Error).message}).`);
  }
  if (typeof j !== 'object' || j === null || Array.isArray(j)) throw cfgErr('The file is not a JSON object.');
  if (nestsDeeperThan(j, PEFT_LIMITS.maxDepth)) throw cfgErr(`The file nests more than ${PEFT_LIMITS.maxDepth} levels deep; an adapter config is a flat object.`);
  const c = j as Record<string, unknown>;
  if (c['peft_type'] !== undefined && c['peft_type'] !== 'LORA') throw cfgErr(`peft_type is ${describeValue(c['peft_type'])}; only LORA adapters are supported.`);
  const r = c['r'];
  if (typeof r !== 'number' || !Number.isInteger(r) || r < 0 || r > PEFT_LIMITS.maxRank) {
    throw cfgErr(`r must be a whole number from 0 to ${PEFT_LIMITS.maxRank} (got ${describeValue(r)}).`);
  }
  const alpha = c['lora_alpha'] ?? 8;
  if (typeof alpha !== 'number' || !Number.isFinite(alpha) || alpha < 0 || alpha > PEFT_LIMITS.maxAlpha) {
    throw cfgErr(`lora_alpha must be a number from 0 to ${PEFT_LIMITS.maxAlpha} (got ${describeValue(alpha)}).`);
  }
  if (c['fan_in_fan_out'] !== undefined && c['fan_in_fan_out'] !== false && c['fan_in_fan_out'] !== null) {
    throw cfgErr('fan_in_fan_out is true (GPT-2 Conv1D layout); only the Llama [out, in] layout (fan_in_fan_out: false) is supported.');
  }
  if (c['use_dora'] === true) throw cfgErr('use_dora is true; DoRA adapters are not supported, only plain LoRA.');
  for (const k of ['rank_pattern', 'alpha_pattern'] as const) {
    const v = c[k];
    if (v !== undefined && v !== null && (typeof v !== 'object' || Object.keys(v).length > 0)) {
      throw cfgErr(`${k} is set; per-module ranks and alphas are not supported (one r and lora_alpha for all modules).`);
    }
  }
  const mts = c['modules_to_save'];
  if (mts !== undefined && mts !== null && (!Array.isArray(mts) || mts.length > 0)) {
    throw cfgErr(`modules_to_save (${describeValue(mts)}) is set; adapters that replace whole modules are not supported.`);
  }
  if (c['layer_replication'] !== undefined && c['layer_replication'] !== null) throw cfgErr('layer_replication is set; adapters that change the layer stack are not supported.');
  if (c['trainable_token_indices'] !== undefined && c['trainable_token_indices'] !== null) throw cfgErr('trainable_token_indices is set; adapters that train embeddings are not supported.');
  const excl = c['exclude_modules'];
  const excludes = excl !== undefined && excl !== null && !(Array.isArray(excl) && excl.length === 0);
  const bias = c['bias'];
  if (bias !== undefined && bias !== null && bias !== 'none') throw cfgErr(`bias is ${describeValue(bias)}; only "none" is supported.`);
  if (c['lora_bias'] === true) throw cfgErr('lora_bias is true; LoRA B biases are not supported.');
  const useRslora = c['use_rslora'] ?? false;
  if (typeof useRslora !== 'boolean') throw cfgErr(`use_rslora must be true or false (got ${describeValue(useRslora)}).`);
  const bm = c['base_model_name_or_path'] ?? null;
  if (bm !== null && typeof bm !== 'string') throw cfgErr('base_model_name_or_path must be a string.');

  let layers: Set<number> | null = null;
  const ltt = c['layers_to_transform'];
  if (ltt !== undefined && ltt !== null) {
    const list = typeof ltt === 'number' ? [ltt] : ltt;
    if (!Array.isArray(list) || list.length > PEFT_LIMITS.maxLayers || !list.every((x) => Number.isInteger(x) && (x as number) >= 0)) {
      throw cfgErr('layers_to_transform must be a layer index or a list of them.');
    }
    layers = new Set(list as number[]);
  }

  const tm = c['target_modules'];
  let listed: Set<LoraTarget> | null = null;
  let accepts: ParsedConfig['accepts'];
  if (Array.isArray(tm)) {
    if (!tm.every((x) => typeof x === 'string')) throw cfgErr('target_modules must be a list of module names.');
    if (tm.length === 0 && r > 0) throw cfgErr('target_modules is empty.');
    const names = tm as string[];
    const set = new Set(names.map(targetOfName));
    // PEFT: a plain name matches a module path's last part; a dotted entry matches the path's end
    accepts = (path) => names.some((e) => (e.includes('.') ? path === e || path.endsWith(`.${e}`) : path.slice(path.lastIndexOf('.') + 1) === e));
    // coverage of every layer is checked only for plain names (dotted entries name single modules)
    listed = names.some((e) => e.includes('.')) ? null : set;
  } else if (tm === 'all-linear') {
    listed = new Set(LORA_TARGETS);
    accepts = () => true;
  } else if (typeof tm === 'string') {
    // The regex comes from the file: only the backtracking-safe subset is compiled, and it is only ever
    // run against this engine's own module paths (short, canonical, finite: see `canonicalPath`).
    let re: RegExp;
    try {
      re = new RegExp(`^(?:${tm})$`);
    } catch {
      throw cfgErr(`target_modules ${describeValue(tm)} is neither a list of names nor a valid regular expression.`);
    }
    const problem = regexSafetyProblem(tm, PEFT_LIMITS.regex);
    if (problem !== null) throw cfgErr(`target_modules ${describeValue(tm)} is refused: ${problem}.`);
    const verdicts = new Map<string, boolean>();
    accepts = (path) => {
      let v = verdicts.get(path);
      if (v === undefined) verdicts.set(path, (v = re.test(path)));
      return v;
    };
  } else if (tm === undefined || tm === null) {
    if (r > 0) throw cfgErr('target_modules is missing.');
    accepts = () => false;
  } else {
    throw cfgErr('target_modules must be a list of module names or a string.');
  }
  // exclude_modules leaves holes in the coverage; the tensors present are still checked one by one
  if (excludes) listed = null;
  return { r, alpha, useRslora, baseModel: bm as string | null, listed, accepts, layers };
}

// base_model.model.model.layers.3.self_attn.q_proj.lora_A.weight  (prefix and ".default" optional)
// The layer index is canonical decimal (no leading zeros, at most 6 digits): a tensor name cannot
// smuggle a long string into the target_modules regex, and every path matched is one of the model's own.
const KEY_RE = /^(?:base_model\.model\.)?(model\.layers\.(0|[1-9]\d{0,5})\.(self_attn|mlp)\.([a-z_]{1,32}))\.lora_(A|B)(?:\.default)?\.weight$/;


function describeUnknown(name: string): string {
  if (/lora_embedding_[AB]/.test(name)) return `Tensor "${name}" adapts the embeddings, which this engine does not support.`;
  if (/lora_magnitude_vector/.test(name)) return `Tensor "${name}" belongs to a DoRA adapter, which this engine does not support.`;
  if (/\.bias$/.test(name)) return `Tensor "${name}" is a LoRA bias, which this engine does not support.`;
  if (/lm_head|embed_tokens/.test(name)) return `Tensor "${name}" replaces a whole module (modules_to_save), which this engine does not support.`;
  return `Tensor "${name}" is not a LoRA A/B matrix of q/k/v/o/gate/up/down_proj of a Llama layer.`;
}

function parseMeta(md: Record<string, string>): { name?: string; owner?: Address | null; datanets?: string[] } {
  const out: { name?: string; owner?: Address | null; datanets?: string[] } = {};
  if (md['tributary.name'] !== undefined) out.name = md['tributary.name'];
  const ow = md['tributary.owner'];
  if (ow !== undefined && ow !== '') {
    if (!ADDRESS_RE.test(ow)) throw wErr(`The metadata's tributary.owner (${describeValue(ow)}) is not a 0x address.`);
    out.owner = ow as Address;
  }
  const dn = md['tributary.datanets'];
  if (dn !== undefined) {
    let v: unknown;
    try {
      v = JSON.parse(dn);
    } catch {
      v = null;
    }
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw wErr('The metadata\'s tributary.datanets is not a JSON list of Datanet ids.');
    out.datanets = v as string[];
  }
  return out;
}

function checkInfo(info: AdapterInfo): void {
  if (info.owner !== undefined && info.owner !== null && !ADDRESS_RE.test(info.owner)) {
    throw new TributaryError('lora/config', `The owner ${describeValue(info.owner)} is not a 0x address.`);
  }
}

/**
 * Parses and validates a PEFT adapter for a base model. Errors: `lora/config` (adapter_config.json),
 * `lora/weights` (truncated or malformed safetensors, missing A/B, unknown tensors, wrong rank, NaN/Inf),
 * `lora/mismatch` (layer count or module sizes of another model).
 */
export function parsePeftAdapter(files: PeftFiles, model: LlamaConfig, info: AdapterInfo = {}): PeftAdapter {
  checkInfo(info);
  const cfg = parseConfig(files.config);
  const bytes = files.weights;
  let header: ReturnType<typeof parseSafetensorsHeader>;
  try {
    header = parseSafetensorsHeader(bytes, { name: PEFT_WEIGHTS_FILE });
  } catch (e) {
    if (isTributaryError(e)) throw wErr(e.message.replace(`${PEFT_WEIGHTS_FILE}: `, ''));
    throw e;
  }
  if (cfg.layers) {
    for (const l of cfg.layers) if (l >= model.numLayers) throw mismatch(`layers_to_transform names layer ${l}, but the model has ${model.numLayers} layers.`);
  }
  const r = cfg.r;
  const layers: LoraAdapterWeights['layers'] = Array.from({ length: model.numLayers }, () => ({}));
  const half: Map<string, { A?: Float32Array; B?: Float32Array }> = new Map();
  const found = new Set<LoraTarget>();
  for (const ti of header.tensors) {
    const m = KEY_RE.exec(ti.name);
    const t = m ? BY_PEFT_NAME.get(m[4]!) : undefined;
    if (!m || !t || PARENT[t] !== m[3]) throw wErr(describeUnknown(ti.name));
    const path = m[1]!;
    const layer = Number(m[2]);
    const ab = m[5] as 'A' | 'B';
    if (layer >= model.numLayers) throw mismatch(`Tensor "${ti.name}" is for layer ${layer}, but the model has ${model.numLayers} layers (0..${model.numLayers - 1}).`);
    if (cfg.layers && !cfg.layers.has(layer)) throw wErr(`Tensor "${ti.name}" is for layer ${layer}, which layers_to_transform leaves out.`);
    if (!cfg.accepts(path, t)) throw wErr(`Tensor "${ti.name}" adapts ${path}, which adapter_config.json's target_modules does not name.`);
    if (!['F32', 'F16', 'BF16'].includes(ti.dtype)) throw wErr(`Tensor "${ti.name}" is ${ti.dtype}; LoRA weights must be F32, F16 or BF16.`);
    const { inDim, outDim } = loraTargetDims(model, t);
    const want = ab === 'A' ? [r, inDim] : [outDim, r];
    const emptyRank0 = r === 0 && ti.shape.length === 2 && ti.shape[0] === 0 && ti.shape[1] === 0;
    if (!emptyRank0 && (ti.shape.length !== 2 || ti.shape[0] !== want[0] || ti.shape[1] !== want[1])) {
      const wrongModel = ti.shape.length === 2 && (ab === 'A' ? ti.shape[0] === r : ti.shape[1] === r);
      const m2 = `Tensor "${ti.name}" is [${ti.shape.join(', ')}], expected [${want.join(', ')}] (${ab === 'A' ? 'A is [r, in]' : 'B is [out, r]'}, r = ${r}).`;
      throw wrongModel ? mismatch(m2) : wErr(m2);
    }
    const data = decodeTensor(ti, bytes.subarray(ti.begin, ti.end), { name: PEFT_WEIGHTS_FILE }).data;
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i]!)) {
        throw wErr(`Tensor "${ti.name}" holds ${data[i]} at element ${i}; the adapter is corrupt or was saved from a diverged training run.`);
      }
    }
    const key = `${layer}.${t}`;
    const h = half.get(key) ?? {};
    if (h[ab]) throw wErr(`Layer ${layer} ${PEFT_NAME[t]} has two lora_${ab} tensors (with and without ".default").`);
    h[ab] = data;
    half.set(key, h);
    found.add(t);
  }
  for (const [key, h] of half) {
    const [l, t] = key.split('.') as [string, LoraTarget];
    if (!h.A || !h.B) {
      throw wErr(`Layer ${l} ${PEFT_NAME[t]} has lora_${h.A ? 'A' : 'B'} but no lora_${h.A ? 'B' : 'A'}; the file is incomplete.`);
    }
    layers[Number(l)]![t] = { A: h.A, B: h.B };
  }
  if (cfg.listed && r > 0) {
    for (let l = 0; l < model.numLayers; l++) {
      if (cfg.layers && !cfg.layers.has(l)) continue;
      for (const t of cfg.listed) {
        if (!layers[l]![t]) throw wErr(`Layer ${l} ${PEFT_NAME[t]} is listed in target_modules but has no lora_A/lora_B tensors; the file is incomplete.`);
      }
    }
  }
  if (r > 0 && half.size === 0) throw wErr('The file holds no LoRA tensors.');
  const fromFile = parseMeta(header.metadata);
  const scale = loraScale(r, cfg.alpha, cfg.useRslora);
  if (!Number.isFinite(scale) || scale < 0 || scale > PEFT_LIMITS.maxScale) {
    throw cfgErr(`lora_alpha ${cfg.alpha} with r ${r} gives the scale ${scale}; at most ${PEFT_LIMITS.maxScale} is accepted (real adapters use 0.5 to 64).`);
  }
  const meta: AdapterMeta = {
    id: sha256Hex(bytes),
    name: info.name ?? fromFile.name ?? 'adapter',
    owner: info.owner !== undefined ? info.owner : (fromFile.owner ?? null),
    datanets: [...(info.datanets ?? fromFile.datanets ?? [])],
    rank: r,
    alpha: cfg.alpha,
    scale,
    useRslora: cfg.useRslora,
    targets: LORA_TARGETS.filter((t) => found.has(t)),
    baseModel: info.baseModel !== undefined ? info.baseModel : cfg.baseModel,
    bytes: bytes.length,
  };
  return { meta, weights: { rank: r, alpha: cfg.alpha, scale, layers } };
}

/** Checks an adapter's matrices against a base model (layer count, sizes, finite values). Throws `lora/*`. */
export function checkAdapterWeights(w: LoraAdapterWeights, model: LlamaConfig): void {
  if (!Number.isInteger(w.rank) || w.rank < 0) throw wErr(`The rank must be a whole number ≥ 0 (got ${w.rank}).`);
  if (w.layers.length !== model.numLayers) throw mismatch(`The adapter has ${w.layers.length} layers, the model ${model.numLayers}.`);
  w.layers.forEach((l, i) => {
    for (const t of Object.keys(l)) {
      if (!(LORA_TARGETS as readonly string[]).includes(t)) throw wErr(`Layer ${i} has an unknown module "${t}".`);
      const m = l[t as LoraTarget]!;
      const { inDim, outDim } = loraTargetDims(model, t as LoraTarget);
      if (m.A.length !== w.rank * inDim || m.B.length !== outDim * w.rank) {
        throw mismatch(`Layer ${i} ${PEFT_NAME[t as LoraTarget]}: A must be ${w.rank}×${inDim} and B ${outDim}×${w.rank} (got ${m.A.length} and ${m.B.length} values).`);
      }
      for (const arr of [m.A, m.B]) for (let k = 0; k < arr.length; k++) if (!Number.isFinite(arr[k]!)) throw wErr(`Layer ${i} ${PEFT_NAME[t as LoraTarget]} holds ${arr[k]}.`);
    }
  });
}

interface Written {
  config: Record<string, unknown>;
  tensors: TensorToWrite[];
  metadata: Record<string, string>;
}

function layout(w: LoraAdapterWeights, info: { name: string; owner: Address | null; datanets: readonly string[]; baseModel: string | null; useRslora: boolean }): Written {
  const targets = LORA_TARGETS.filter((t) => w.layers.some((l) => l[t]));
  const r = w.rank;
  const formula = loraScale(r, w.alpha, info.useRslora);
  const scale = w.scale ?? formula;
  // a scale the config's alpha cannot express is folded into B (exact up to the f32 rounding of B)
  const fold = formula === 0 || scale === formula ? 1 : scale / formula;
  // module sizes from any layer that has the module (a rank-0 adapter is written with [0, 0] tensors)
  const dims = new Map<LoraTarget, { inDim: number; outDim: number }>();
  for (const t of targets) {
    const m = w.layers.find((l) => l[t])![t]!;
    dims.set(t, r === 0 ? { inDim: 0, outDim: 0 } : { inDim: m.A.length / r, outDim: m.B.length / r });
  }
  const tensors: TensorToWrite[] = [];
  w.layers.forEach((l, i) => {
    for (const t of targets) {
      const { inDim, outDim } = dims.get(t)!;
      const m = l[t];
      // a module this layer leaves out is written as zeros (the same delta: none), so target_modules stays a plain list
      const A = m ? m.A : new Float32Array(r * inDim);
      const B0 = m ? m.B : new Float32Array(outDim * r);
      const B = fold === 1 ? B0 : B0.map((x) => x * fold);
      tensors.push({ name: peftTensorName(i, t, 'A'), shape: [r, inDim], data: A });
      tensors.push({ name: peftTensorName(i, t, 'B'), shape: [outDim, r], data: B });
    }
  });
  const metadata: Record<string, string> = { format: 'pt', 'tributary.name': info.name, 'tributary.datanets': JSON.stringify(info.datanets) };
  if (info.owner) metadata['tributary.owner'] = info.owner;
  const config: Record<string, unknown> = {
    peft_type: 'LORA',
    task_type: 'CAUSAL_LM',
    base_model_name_or_path: info.baseModel,
    r,
    lora_alpha: w.alpha,
    target_modules: targets.map((t) => PEFT_NAME[t]),
    use_rslora: info.useRslora,
    fan_in_fan_out: false,
    bias: 'none',
    lora_dropout: 0,
    modules_to_save: null,
    inference_mode: true,
  };
  return { config, tensors, metadata };
}

function encodeConfig(config: Record<string, unknown>): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(config, null, 2) + '\n');
}

/**
 * Builds an adapter from matrices (checked against `model`): writes the safetensors to compute its id and size.
 */
export function createPeftAdapter(weights: LoraAdapterWeights, model: LlamaConfig, info: AdapterInfo = {}): PeftAdapter {
  checkInfo(info);
  checkAdapterWeights(weights, model);
  const useRslora = info.useRslora ?? false;
  const full = {
    name: info.name ?? 'adapter',
    owner: info.owner ?? null,
    datanets: [...(info.datanets ?? [])],
    baseModel: info.baseModel ?? null,
    useRslora,
  };
  const lay = layout(weights, full);
  const bytes = writeSafetensors(lay.tensors, lay.metadata);
  const scale = weights.scale ?? loraScale(weights.rank, weights.alpha, useRslora);
  return {
    meta: {
      id: sha256Hex(bytes),
      name: full.name,
      owner: full.owner,
      datanets: full.datanets,
      rank: weights.rank,
      alpha: weights.alpha,
      scale,
      useRslora,
      targets: LORA_TARGETS.filter((t) => weights.layers.some((l) => l[t])),
      baseModel: full.baseModel,
      bytes: bytes.length,
    },
    weights: { ...weights, scale },
  };
}

/** Writes an adapter as PEFT files (F32 tensors; `peft`'s `PeftModel.from_pretrained` loads them). */
export function writePeftAdapter(adapter: PeftAdapter): Record<typeof PEFT_CONFIG_FILE | typeof PEFT_WEIGHTS_FILE, Uint8Array<ArrayBuffer>> {
  const m = adapter.meta;
  const lay = layout(adapter.weights, { name: m.name, owner: m.owner, datanets: m.datanets, baseModel: m.baseModel, useRslora: m.useRslora });
  const cfg = encodeConfig(lay.config);
  const out = new Uint8Array(cfg.length);
  out.set(cfg);
  return { [PEFT_CONFIG_FILE]: out, [PEFT_WEIGHTS_FILE]: writeSafetensors(lay.tensors, lay.metadata) } as Record<typeof PEFT_CONFIG_FILE | typeof PEFT_WEIGHTS_FILE, Uint8Array<ArrayBuffer>>;
}

/** Bytes of an adapter's matrices as f32 (what it really needs in a slot; a slot reserves `maxRank`). */
export function adapterWeightBytes(w: LoraAdapterWeights): number {
  let n = 0;
  for (const l of w.layers) for (const m of Object.values(l)) if (m) n += m.A.length + m.B.length;
  return n * 4;
}
