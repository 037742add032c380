/**
 * Builds the bundled demo model into `public/models/tributary-demo/` (HF layout), deterministically:
 *
 * - `tokenizer.json`: a byte-level BPE tokenizer the project makes itself. The merges are learned by the small
 *   BPE trainer of scripts/lib/bpe.ts (most frequent adjacent pair first, ties broken by the pair's text), from the demo Datanet texts in
 *   `demo/<slug>/docs`, with GPT-2's pre-tokenizer. 256 byte tokens + `MERGES` merges + the ChatML special tokens.
 * - `tokenizer_config.json`: a ChatML chat template, `<|im_end|>` as end of turn.
 * - `config.json` + `model.safetensors` (F16): a tiny Llama-family decoder. Its weights are GENERATED, not trained:
 *   seeded random transformer layers, kept weak, over an embedding and LM head fitted (by a truncated SVD) to the
 *   bigram statistics of the same texts written as ChatML conversations. So it strings together words of the demo
 *   Datanets, mostly without sense, and ends its turns; it does not read the question. ModelFactory (a later issue)
 *   replaces it with a model the project trains.
 * - `adapters/<name>/adapter_config.json` + `adapter_model.safetensors`: seeded random PEFT LoRA adapters (rank 4–8,
 *   different target modules), each tagged (safetensors metadata) with the demo Datanet(s) it "belongs to" and that
 *   Datanet's owner. Random too: they change the answers, they teach nothing.
 * - `demo.json`: what the app shows about the demo model and which adapters to install on first start.
 *
 * Run by `npm run build` after build-demo-data. Same sources, same bytes.
 */
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { keccak256, toHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { sha256Hex, sha256Text } from '../src/core/hash.ts';
import { SPECIAL, tokenizerJson, trainBpe } from './lib/bpe.ts';
import { applyChatTemplate, type TokenizerConfig } from '../src/engine/chat/chatTemplate.ts';
import { modelConfigToHfJson, parseModelConfig } from '../src/engine/formats/config.ts';
import { writeSafetensors } from '../src/engine/formats/safetensors.ts';
import { hfTensorsFromWeights } from '../src/engine/formats/weights.ts';
import { createPeftAdapter, parsePeftAdapter, writePeftAdapter } from '../src/engine/lora/peft.ts';
import { randomAdapter, randomModel } from '../src/engine/model/randomModel.ts';
import type { LlamaConfig, LlamaWeights, LoraTarget } from '../src/engine/model/types.ts';
import { createRng } from '../src/engine/sampling/rng.ts';
import { loadTokenizer } from '../src/engine/tokenizer/tokenizer.ts';

const SOURCE_DIR = 'demo';
const OUT_DIR = join('public', 'models', 'tributary-demo');
const MODEL_ID = 'tributary-demo';
const SEED = 20261001;
/** BPE merges learned from the demo texts. */
const MERGES = 1500;
/** Rank of the bigram fit (= hidden size). */
const HIDDEN = 128;
const CHATML =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
const SYSTEM = 'You are the Tributary demo model.';
const MAX_BYTES = 4 * 1024 * 1024;
/** residual-stream gain of the demo adapters, relative to an embedding's rms */
const ADAPTER_GAIN = 0.15;

// ---------------------------------------------------------------------------------------------------- texts

interface DemoDoc {
  slug: string;
  title: string;
  text: string;
}

function readDocs(): { slugs: string[]; docs: DemoDoc[] } {
  const slugs = readdirSync(SOURCE_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  const docs: DemoDoc[] = [];
  for (const slug of slugs) {
    const dir = join(SOURCE_DIR, slug, 'docs');
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.md')).sort()) {
      const raw = readFileSync(join(dir, f), 'utf8').replace(/^<!--[^]*?-->\s*\n/, '');
      const title = /^#\s+(.+)$/m.exec(raw)?.[1]?.trim() ?? f;
      docs.push({ slug, title, text: raw });
    }
  }
  return { slugs, docs };
}

// ---------------------------------------------------------------------------------------------------- bigram fit

/** Row-major dense matrix helpers (Float64). */
function matmulAB(a: Float64Array, n: number, k: number, b: Float64Array, m: number): Float64Array {
  // [n, k] · [k, m]
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    const o = i * m;
    for (let p = 0; p < k; p++) {
      const x = a[i * k + p]!;
      if (x === 0) continue;
      const r = p * m;
      for (let j = 0; j < m; j++) out[o + j] = out[o + j]! + x * b[r + j]!;
    }
  }
  return out;
}

function matmulAtB(a: Float64Array, n: number, k: number, b: Float64Array, m: number): Float64Array {
  // [n, k]ᵀ · [n, m] = [k, m]
  const out = new Float64Array(k * m);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < k; p++) {
      const x = a[i * k + p]!;
      if (x === 0) continue;
      const o = p * m;
      const r = i * m;
      for (let j = 0; j < m; j++) out[o + j] = out[o + j]! + x * b[r + j]!;
    }
  }
  return out;
}

/** Orthonormalises the columns of `a [n, k]` in place (modified Gram–Schmidt, twice for stability). */
function orthonormalizeColumns(a: Float64Array, n: number, k: number): void {
  for (let pass = 0; pass < 2; pass++) {
    for (let j = 0; j < k; j++) {
      for (let p = 0; p < j; p++) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += a[i * k + j]! * a[i * k + p]!;
        for (let i = 0; i < n; i++) a[i * k + j] = a[i * k + j]! - dot * a[i * k + p]!;
      }
      let norm = 0;
      for (let i = 0; i < n; i++) norm += a[i * k + j]! ** 2;
      norm = Math.sqrt(norm) || 1;
      for (let i = 0; i < n; i++) a[i * k + j] = a[i * k + j]! / norm;
    }
  }
}

/** Eigen-decomposition of a symmetric `[k, k]` matrix (cyclic Jacobi): eigenvalues and eigenvectors as columns. */
function symmetricEigen(s: Float64Array, k: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(s);
  const v = new Float64Array(k * k);
  for (let i = 0; i < k; i++) v[i * k + i] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let p = 0; p < k; p++) for (let q = p + 1; q < k; q++) off += a[p * k + q]! ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < k; p++) {
      for (let q = p + 1; q < k; q++) {
        const apq = a[p * k + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * k + q]! - a[p * k + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const sn = t * c;
        for (let r = 0; r < k; r++) {
          const arp = a[r * k + p]!;
          const arq = a[r * k + q]!;
          a[r * k + p] = c * arp - sn * arq;
          a[r * k + q] = sn * arp + c * arq;
        }
        for (let r = 0; r < k; r++) {
          const apr = a[p * k + r]!;
          const aqr = a[q * k + r]!;
          a[p * k + r] = c * apr - sn * aqr;
          a[q * k + r] = sn * apr + c * aqr;
        }
        for (let r = 0; r < k; r++) {
          const vrp = v[r * k + p]!;
          const vrq = v[r * k + q]!;
          v[r * k + p] = c * vrp - sn * vrq;
          v[r * k + q] = sn * vrp + c * vrq;
        }
      }
    }
  }
  const values = new Float64Array(k);
  for (let i = 0; i < k; i++) values[i] = a[i * k + i]!;
  return { values, vectors: v };
}

/**
 * Rank-`k` truncated SVD of `l [n, n]` by randomized subspace iteration: `l ≈ U diag(S) Vᵀ` (`U, V [n, k]`).
 */
function truncatedSvd(l: Float64Array, n: number, k: number, seed: number): { U: Float64Array; S: Float64Array; V: Float64Array } {
  const rng = createRng(seed);
  const lt = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) lt[j * n + i] = l[i * n + j]!;
  let q: Float64Array = new Float64Array(n * k);
  for (let i = 0; i < q.length; i++) q[i] = rng.normal();
  q = matmulAB(l, n, n, q, k);
  orthonormalizeColumns(q, n, k);
  for (let it = 0; it < 1; it++) {
    const z = matmulAB(lt, n, n, q, k);
    orthonormalizeColumns(z, n, k);
    q = matmulAB(l, n, n, z, k);
    orthonormalizeColumns(q, n, k);
  }
  // B = Qᵀ L  [k, n];  B Bᵀ = W diag(σ²) Wᵀ;  U = Q W;  V = Bᵀ W / σ
  const bm = matmulAtB(q, n, k, l, n);
  const bbt = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = i; j < k; j++) {
      let s = 0;
      for (let t = 0; t < n; t++) s += bm[i * n + t]! * bm[j * n + t]!;
      bbt[i * k + j] = s;
      bbt[j * k + i] = s;
    }
  }
  const { values, vectors } = symmetricEigen(bbt, k);
  const order = [...values.keys()].sort((a, b) => values[b]! - values[a]!);
  const S = new Float64Array(k);
  const W = new Float64Array(k * k);
  order.forEach((src, dst) => {
    S[dst] = Math.sqrt(Math.max(values[src]!, 0));
    for (let i = 0; i < k; i++) W[i * k + dst] = vectors[i * k + src]!;
  });
  const U = matmulAB(q, n, k, W, k);
  const V = new Float64Array(n * k);
  for (let c = 0; c < k; c++) {
    const s = S[c]! || 1;
    for (let t = 0; t < n; t++) {
      let acc = 0;
      for (let i = 0; i < k; i++) acc += bm[i * n + t]! * W[i * k + c]!;
      V[t * k + c] = acc / s;
    }
  }
  return { U, S, V };
}

/**
 * Centered smoothed bigram log-probabilities `L[a, b] = log P(b | a) − mean_b`, from token sequences (interpolated
 * with the unigram distribution so unseen pairs stay finite).
 */
function bigramLogits(seqs: readonly number[][], V: number, never: ReadonlySet<number>): Float64Array {
  const pair = new Float64Array(V * V);
  const uni = new Float64Array(V);
  const from = new Float64Array(V);
  for (const s of seqs) {
    for (let i = 0; i < s.length; i++) {
      const a = s[i]!;
      uni[a] = uni[a]! + 1;
      if (i + 1 < s.length) {
        const k = a * V + s[i + 1]!;
        pair[k] = pair[k]! + 1;
        from[a] = from[a]! + 1;
      }
    }
  }
  const total = uni.reduce((a, b) => a + b, 0);
  const l = new Float64Array(V * V);
  const lambda = 0.9;
  for (let a = 0; a < V; a++) {
    let mean = 0;
    for (let b = 0; b < V; b++) {
      const pu = (uni[b]! + 0.01) / (total + 0.01 * V);
      const pb = from[a]! > 0 ? pair[a * V + b]! / from[a]! : pu;
      const p = never.has(b) ? 1e-9 : lambda * pb + (1 - lambda) * pu;
      const v = Math.log(p);
      l[a * V + b] = v;
      mean += v;
    }
    mean /= V;
    for (let b = 0; b < V; b++) l[a * V + b] = l[a * V + b]! - mean;
  }
  return l;
}

/**
 * Generated weights: seeded random layers scaled down (their outputs are a small perturbation of the residual
 * stream), and an embedding / LM head from the rank-`hidden` SVD of the bigram logits, so that the last position's
 * hidden state — nearly its token's embedding — scores the next token by the bigram statistics.
 */
function demoWeights(config: LlamaConfig, seqs: readonly number[][], never: ReadonlySet<number>): { weights: LlamaWeights; rms: number } {
  const { weights } = randomModel({ ...config, seed: SEED });
  const V = config.vocabSize;
  const d = config.hiddenSize;
  const l = bigramLogits(seqs, V, never);
  const { U, S, V: Vt } = truncatedSvd(l, V, d, SEED + 1);
  // embed[t] = U[t] · √S (RMSNorm removes its scale); lmHead = V · √S · c, with c the typical rms of embed rows
  const embed = new Float32Array(V * d);
  const head = new Float32Array(V * d);
  let rmsSum = 0;
  for (let t = 0; t < V; t++) {
    let ss = 0;
    for (let j = 0; j < d; j++) {
      const e = U[t * d + j]! * Math.sqrt(S[j]!);
      embed[t * d + j] = e;
      ss += e * e;
    }
    rmsSum += Math.sqrt(ss / d);
  }
  const rms = rmsSum / V;
  for (let t = 0; t < V; t++) for (let j = 0; j < d; j++) head[t * d + j] = Vt[t * d + j]! * Math.sqrt(S[j]!) * rms;
  // RMSNorm(x) = x / rms(x): give every embedding row the same rms, so the head's scale is right for each token
  for (let t = 0; t < V; t++) {
    let ss = 0;
    for (let j = 0; j < d; j++) ss += embed[t * d + j]! ** 2;
    const f = rms / Math.max(Math.sqrt(ss / d), 1e-12);
    for (let j = 0; j < d; j++) embed[t * d + j] = embed[t * d + j]! * f;
  }
  weights.embed = { kind: 'f32', rows: V, cols: d, data: embed };
  weights.lmHead = { kind: 'f32', rows: V, cols: d, data: head };
  weights.finalNorm = new Float32Array(d).fill(1);
  // weak layers: their contributions to the residual stream are ~LAYER_GAIN of an embedding's size
  const LAYER_GAIN = 0.05 * rms;
  for (const layer of weights.layers) {
    for (const m of [layer.o, layer.down]) for (let i = 0; i < m.data.length; i++) m.data[i] = m.data[i]! * LAYER_GAIN;
  }
  return { weights, rms };
}

// ---------------------------------------------------------------------------------------------------- adapters

interface DemoAdapterSpec {
  dir: string;
  name: string;
  slugs: string[];
  rank: number;
  alpha: number;
  targets: LoraTarget[];
  seed: number;
  strength: number;
  description: string;
}

const ADAPTERS: DemoAdapterSpec[] = [
  { dir: 'bread-baking', name: 'Bread baking', slugs: ['bread-baking'], rank: 8, alpha: 16, targets: ['q', 'k', 'v', 'o'], seed: 101, strength: 0.5, description: 'attention (q, k, v, o), rank 8' },
  { dir: 'everyday-security', name: 'Everyday security', slugs: ['everyday-security'], rank: 4, alpha: 8, targets: ['q', 'k', 'v', 'o', 'gate', 'up', 'down'], seed: 202, strength: 0.5, description: 'all linear modules, rank 4' },
  { dir: 'home-composting', name: 'Home composting', slugs: ['home-composting'], rank: 8, alpha: 16, targets: ['gate', 'up', 'down'], seed: 303, strength: 0.5, description: 'MLP (gate, up, down), rank 8' },
  { dir: 'kitchen-and-garden', name: 'Kitchen and garden', slugs: ['bread-baking', 'home-composting'], rank: 6, alpha: 12, targets: ['q', 'v', 'down'], seed: 404, strength: 0.5, description: 'q, v and down, rank 6, two Datanets' },
];

const demoKey = (...parts: string[]): `0x${string}` => keccak256(toHex(['tributary-demo', ...parts].join(':')));
/** The demo Datanet's id and owner, exactly as scripts/build-demo-data.ts makes them. */
const datanetId = (slug: string): string => `dn-${sha256Text(`demo:${slug}`).slice(2, 18)}`;
const datanetOwner = (slug: string): `0x${string}` => privateKeyToAccount(demoKey(slug, 'owner')).address;

// ---------------------------------------------------------------------------------------------------- main

function dirBytes(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    n += e.isDirectory() ? dirBytes(p) : statSync(p).size;
  }
  return n;
}

function fileEntry(path: string): { path: string; size: number; sha256: string } {
  const bytes = readFileSync(join(OUT_DIR, path));
  return { path, size: bytes.length, sha256: sha256Hex(new Uint8Array(bytes)).slice(2) };
}

function main(): void {
  const t0 = Date.now();
  const { slugs, docs } = readDocs();
  const { vocab, merges } = trainBpe(
    docs.map((d) => d.text),
    MERGES,
  );
  const tBpe = Date.now();
  const tjson = tokenizerJson(vocab, merges);
  const tok = loadTokenizer(tjson);
  for (const d of docs) {
    if (tok.decode(tok.encode(d.text)) !== d.text) throw new Error(`the trained tokenizer does not round-trip ${d.slug}/${d.title}`);
  }
  const id = (t: string): number => tok.tokenToId(t)!;
  const eos = id('<|im_end|>');
  const tokenizerConfig: TokenizerConfig = {
    add_bos_token: false,
    add_eos_token: false,
    bos_token: '<|im_start|>',
    eos_token: '<|im_end|>',
    pad_token: '<|endoftext|>',
    unk_token: null,
    model_max_length: 1024,
    clean_up_tokenization_spaces: false,
    tokenizer_class: 'PreTrainedTokenizerFast',
    chat_template: CHATML,
    added_tokens_decoder: Object.fromEntries(SPECIAL.map((c) => [String(id(c)), { content: c, lstrip: false, normalized: false, rstrip: false, single_word: false, special: true }])),
  };

  const config: LlamaConfig = {
    vocabSize: tok.vocabSize,
    hiddenSize: HIDDEN,
    intermediateSize: 256,
    numLayers: 4,
    numHeads: 4,
    numKvHeads: 2,
    headDim: HIDDEN / 4,
    rmsNormEps: 1e-5,
    ropeTheta: 10000,
    ropeScaling: null,
    maxPositionEmbeddings: 1024,
    tieWordEmbeddings: false,
    attentionBias: false,
  };
  // the corpus as ChatML conversations: a user asks about a document's title, the assistant answers with its paragraphs
  const seqs: number[][] = [];
  for (const d of docs) {
    const paras = d.text.split(/\n\s*\n/).map((p) => p.replace(/^#+\s*/, '').trim()).filter((p) => p.length > 0);
    for (let i = 0; i < paras.length; i += 2) {
      const answer = paras.slice(i, i + 2).join('\n\n');
      const text = applyChatTemplate(tokenizerConfig, [
        { role: 'system', content: SYSTEM },
        { role: 'user', content: `Tell me about ${d.title.toLowerCase()}.` },
        { role: 'assistant', content: answer },
      ]);
      seqs.push(tok.encode(text));
    }
  }
  // the model never writes these itself (a new turn or the end of the text)
  const never = new Set([id('<|im_start|>'), id('<|endoftext|>')]);
  const tFit = Date.now();
  const { weights, rms } = demoWeights(config, seqs, never);
  if (process.env.DEMO_TIMING) console.log(`bpe ${tBpe - t0} ms, fit ${Date.now() - tFit} ms`);

  rmSync(OUT_DIR, { recursive: true, force: true });
  mkdirSync(join(OUT_DIR, 'adapters'), { recursive: true });
  const hfConfig = modelConfigToHfJson({ ...config, architecture: 'LlamaForCausalLM', bosTokenId: null, eosTokenIds: [eos, id('<|endoftext|>')], padTokenId: id('<|endoftext|>'), torchDtype: 'float16' });
  parseModelConfig(hfConfig); // the app's own parser accepts it
  writeFileSync(join(OUT_DIR, 'config.json'), JSON.stringify(hfConfig, null, 2) + '\n');
  writeFileSync(join(OUT_DIR, 'generation_config.json'), JSON.stringify({ eos_token_id: eos, pad_token_id: id('<|endoftext|>'), temperature: 0.7, top_p: 0.9 }, null, 2) + '\n');
  writeFileSync(
    join(OUT_DIR, 'model.safetensors'),
    writeSafetensors(hfTensorsFromWeights(config, weights, 'F16'), { format: 'pt', 'tributary.generated': 'true', 'tributary.seed': String(SEED) }),
  );
  writeFileSync(join(OUT_DIR, 'tokenizer.json'), JSON.stringify(tjson) + '\n');
  writeFileSync(join(OUT_DIR, 'tokenizer_config.json'), JSON.stringify(tokenizerConfig, null, 2) + '\n');

  const adapters: Record<string, unknown>[] = [];
  const adapterFiles: string[] = [];
  for (const spec of ADAPTERS) {
    for (const s of spec.slugs) if (!slugs.includes(s)) throw new Error(`demo adapter ${spec.dir}: no demo Datanet "${s}"`);
    const w = randomAdapter(config, { seed: spec.seed, rank: spec.rank, alpha: spec.alpha, targets: spec.targets, strength: spec.strength });
    // what an adapter writes into the residual stream (through o_proj and down_proj) is scaled like the weak layers
    // (a bit stronger): it changes the answer without drowning the word statistics
    for (const l of w.layers) for (const t of ['o', 'down'] as const) if (l[t]) l[t].B = l[t].B.map((x) => x * ADAPTER_GAIN * rms);
    const adapter = createPeftAdapter(w, config, {
      name: spec.name,
      owner: datanetOwner(spec.slugs[0]!),
      datanets: spec.slugs.map(datanetId),
      baseModel: MODEL_ID,
    });
    const files = writePeftAdapter(adapter);
    const dir = join(OUT_DIR, 'adapters', spec.dir);
    mkdirSync(dir, { recursive: true });
    for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
    const back = parsePeftAdapter({ config: files['adapter_config.json'], weights: files['adapter_model.safetensors'] }, config);
    if (back.meta.id !== adapter.meta.id) throw new Error(`demo adapter ${spec.dir} does not round-trip`);
    adapterFiles.push(`adapters/${spec.dir}/adapter_config.json`, `adapters/${spec.dir}/adapter_model.safetensors`);
    adapters.push({ dir: spec.dir, id: adapter.meta.id, name: spec.name, datanets: adapter.meta.datanets, owner: adapter.meta.owner, rank: spec.rank, targets: spec.description });
  }
  const manifest = {
    id: MODEL_ID,
    name: 'Tributary demo model (generated)',
    generated: true,
    notice:
      'This model was generated by a script, not trained: seeded random layers over word statistics (bigrams) of the demo Datanets. ' +
      'It strings demo-Datanet words together and does not understand the question. Its adapters are random too. ModelFactory will train a real one.',
    parameters: config.vocabSize * config.hiddenSize * 2 + config.numLayers * (2 * config.hiddenSize * config.hiddenSize + 2 * config.hiddenSize * config.numKvHeads * config.headDim + 3 * config.hiddenSize * config.intermediateSize),
    systemPrompt: SYSTEM,
    // sizes and SHA-256 of every file, so the app's download cache can tell a stale copy from this build's
    files: ['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', ...adapterFiles].map((path) => fileEntry(path)),
    adapters,
  };
  writeFileSync(join(OUT_DIR, 'demo.json'), JSON.stringify(manifest, null, 2) + '\n');
  const bytes = dirBytes(OUT_DIR);
  if (bytes > MAX_BYTES) throw new Error(`the demo model folder is ${bytes} bytes, above the ${MAX_BYTES} the service worker precaches`);
  console.log(
    `demo model: vocab ${config.vocabSize} (${merges.length} merges), ${config.numLayers} layers × ${config.hiddenSize}, ` +
      `${ADAPTERS.length} adapters, ${(bytes / 1024 / 1024).toFixed(2)} MB in ${OUT_DIR} (${((Date.now() - t0) / 1000).toFixed(1)} s)`,
  );
}

main();
