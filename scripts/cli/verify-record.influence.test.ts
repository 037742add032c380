/**
 * verify-record for a record with gradient influence: a small LoRA adapter is trained here for a few steps on the
 * demo base (real trainer, CPU) over part of the planted-fact Datanet, exported in PEFT layout with its training log,
 * and an answer is attributed with the LIVE trainer's influence (TracIn, then the damped inverse). verify-record takes
 * the exported folder, takes the answer's gradient again on the adapter's weights, and must reproduce the record; a
 * changed score, weight, adapter byte or training log — or an influence method the log cannot support — is named.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { attributeAnswer } from '../../src/attribution/attribute.ts';
import { buildDatanetIndex, type DatanetIndex } from '../../src/attribution/datanetIndex.ts';
import { answerGradient, influenceByContribution, influenceEvidence, influenceParams, type AnswerTokenizing, type InfluenceKind } from '../../src/attribution/influenceFromLog.ts';
import type { InfluenceEvidence } from '../../src/attribution/attribute.ts';
import { INFLUENCE_GRADIENT_TOLERANCE, INFLUENCE_SCORE_TOLERANCE } from '../../src/attribution/verifyInfluence.ts';
import { parseDataJsonl, sourceFromDataLines } from '../../src/attribution/jsonlSource.ts';
import { recordFileToJson, type RecordEvidence } from '../../src/core/attribution/recordFile.ts';
import type { AttributionRecord } from '../../src/core/attribution/types.ts';
import { sha256Hex } from '../../src/core/hash.ts';
import { createCpuTrainOps } from '../../src/engine/train/cpu/cpuTrainOps.ts';
import { buildExamples, recallQuestions } from '../../src/engine/train/examples.ts';
import { createTrainer } from '../../src/engine/train/trainer.ts';
import type { Trainer } from '../../src/engine/train/trainerApi.ts';
import { readTrainingLog, TRAINING_LOG_JSON, TRAINING_LOG_TENSORS, trainingLogHash } from '../../src/engine/train/trainingLog.ts';
import { DEMO_MODEL_DIR, loadModelDir, type LoadedModel } from './_model.ts';
import { jsonlDatanetId } from './_sources.ts';
import { run as attributeCli } from './attribute.ts';
import { recordFileFromJson } from '../../src/core/attribution/recordFile.ts';
import { verifyRecordFile } from './verify-record.ts';

const DATA = 'bench/data/planted/data.jsonl';
const lines = parseDataJsonl(readFileSync(DATA, 'utf8'));
const fact = lines[0]!.text.split('. ')[0]! + '.';
const PROMPT = 'Tell me about the windmill.';
const SEQ_LEN = 64;

const dir = mkdtempSync(join(tmpdir(), 'verify-influence-'));
const adapterDir = join(dir, 'adapter');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let model: LoadedModel;
let index: DatanetIndex;
let trainer: Trainer;
let files: Record<string, Uint8Array>;
let tok: AnswerTokenizing;

const logFiles = (): { json: Uint8Array; tensors: Uint8Array } => ({ json: files[TRAINING_LOG_JSON]!, tensors: files[TRAINING_LOG_TENSORS]! });

async function recordWith(kind: InfluenceKind): Promise<AttributionRecord> {
  // the live trainer's gradient, scored against the log as exported (what the record names by hash)
  const influence = await influenceEvidence(trainer, readTrainingLog(logFiles()), trainingLogHash(logFiles()), tok, PROMPT, fact, kind);
  expect(influence).not.toBeNull();
  return recordOf(influence!);
}

/** A record scored with the given projected answer gradient (what another engine may compute), TracIn. */
function recordWithGradient(g: Float32Array): Promise<AttributionRecord> {
  const log = readTrainingLog(logFiles());
  return recordOf({ kind: 'tracin', byContribution: influenceByContribution(log, g, 'tracin'), params: influenceParams(log, trainingLogHash(logFiles()), tok, g, 'tracin'), gradient: g });
}

async function recordOf(influence: InfluenceEvidence): Promise<AttributionRecord> {
  const hash = sha256Hex(files['adapter_model.safetensors']!);
  const r = await attributeAnswer({ prompt: PROMPT, answer: fact, model: { id: model.id, hash: model.hash }, adapter: { id: `test-lora-${hash.slice(2, 10)}`, hash }, indexes: [index], encoder: null, influence });
  return r.record;
}

const fileOf = (record: AttributionRecord, evidence?: RecordEvidence): string => recordFileToJson({ record, prompt: PROMPT, answer: fact, ...(evidence ? { evidence } : {}), inputs: { datanets: [DATA], adapter: adapterDir } });

/** A copy of the adapter folder with `change` applied to its files. */
function adapterCopy(name: string, change: (f: Record<string, Uint8Array>) => void): string {
  const out = join(dir, name);
  mkdirSync(out);
  const copy = Object.fromEntries(Object.entries(files).map(([k, v]) => [k, Uint8Array.from(v)]));
  change(copy);
  for (const [k, v] of Object.entries(copy)) writeFileSync(join(out, k), v);
  return out;
}

beforeAll(async () => {
  model = await loadModelDir(DEMO_MODEL_DIR);
  const { source } = sourceFromDataLines(lines, jsonlDatanetId(DATA));
  index = await buildDatanetIndex(source);
  // a few steps on a dozen passages (the fact's among them): enough for the log to tell contributions apart
  const passages = source.passages.slice(0, 12).map((p) => ({ contributionId: p.contributionId, passageIndex: p.index, datanetId: source.datanetId, text: p.text }));
  const examples = buildExamples(passages, model.tokenizer, model.tokenizerConfig, { kind: 'chat', seqLen: SEQ_LEN, system: null, questions: recallQuestions });
  const train = { rank: 2, alpha: 4, lr: 5e-3, epochs: 1, batchSize: 8, seqLen: SEQ_LEN, warmup: 0, seed: 3, targetModules: ['q' as const, 'v' as const, 'down' as const] };
  const steps = Math.ceil(examples.length / train.batchSize);
  trainer = await createTrainer({ ops: createCpuTrainOps(), config: model.config, weights: model.weights, train, examples, padId: model.config.eosTokenIds[0] ?? 0, log: { checkpoints: [Math.ceil(steps / 2), steps], dimPerModule: 4 } });
  while (!trainer.done) await trainer.step();
  files = await trainer.exportPeft({ name: 'verify-influence test', datanets: [source.datanetId] });
  mkdirSync(adapterDir);
  for (const [k, v] of Object.entries(files)) writeFileSync(join(adapterDir, k), v);
  tok = { tokenizer: model.tokenizer, tokenizerConfig: model.tokenizerConfig, seqLen: SEQ_LEN, system: null, form: 'chat' };
}, 300_000);

describe('verify-record: gradient influence', () => {
  it.each(['tracin', 'damped-inverse'] as const)('a record with %s influence from a freshly trained adapter verifies from its exported folder', async (kind) => {
    const record = await recordWith(kind);
    const method = record.methods.find((m) => m.method === 'influence')!;
    expect(method.version).toBe('2');
    const params = JSON.parse(method.params) as Record<string, unknown>;
    expect(params).toMatchObject({ kind, checkpoints: 2, example: 'chat', seqLen: SEQ_LEN, system: '', gradient: expect.stringMatching(/^0x[0-9a-f]{64}$/), log: trainingLogHash({ json: files[TRAINING_LOG_JSON]!, tensors: files[TRAINING_LOG_TENSORS]! }) });
    expect(record.credits.length).toBeGreaterThan(0);
    expect(record.credits.filter((c) => c.evidence.scores.some((s) => s.method === 'influence')).length).toBeGreaterThan(0);
    const v = await verifyRecordFile(fileOf(record));
    expect(v.problems).toEqual([]);
    expect(v.match).toBe(true);
    expect(v.notes.some((n) => new RegExp(`^influence: ${kind === 'tracin' ? 'TracIn' : 'damped inverse \\(damping 0\\.1\\)'} recomputed from .* over \\d+ logged examples × 2 checkpoints \\(\\d+-d projection, training log 0x[0-9a-f]{8}…\\); [1-9]\\d* stated scores? agree`).test(n))).toBe(true);
  }, 300_000);

  it('a record whose answer gradient differs from Node’s as another engine’s does matches when its file carries it, and says why not when it does not', async () => {
    const own = (await answerGradient(trainer, readTrainingLog(logFiles()), tok, PROMPT, fact))!;
    // headless Chromium's gradient of a demo-adapter answer differed from Node's by 3.7e-5 × its largest value
    // (tests/e2e/attributionRecord.e2e.ts); move every 5th value by half the tolerance, alternating in sign
    const top = Math.max(...own.map(Math.abs));
    const nudged = own.map((x, i) => (i % 5 === 0 ? Math.fround(x + (i % 2 ? 1 : -1) * 0.5 * INFLUENCE_GRADIENT_TOLERANCE * top) : x));
    const record = await recordWithGradient(nudged);
    expect(record.credits.some((c) => c.evidence.scores.some((s) => s.method === 'influence'))).toBe(true);
    const v = await verifyRecordFile(fileOf(record, { influence: { gradient: nudged } }));
    expect(v.problems).toEqual([]);
    expect(v.match).toBe(true);
    expect(v.notes.some((n) => /^influence: the answer gradient in the file agrees with this adapter's \(\d+ values, largest difference/.test(n))).toBe(true);
    expect(v.notes.some((n) => /^influence: with this verifier's own gradient the scores would move by at most [\d.]+e-\d+ \(largest score/.test(n))).toBe(true);
    const bare = await verifyRecordFile(fileOf(record));
    expect(bare.match).toBe(false);
    expect(bare.problems.join('\n')).toMatch(/^influence: the answer gradient computed here hashes to 0x[0-9a-f]{64}, the record commits to 0x[0-9a-f]{64}, and the file carries none/);
    // a gradient that is not this adapter's for this answer (one value moved far) is refused, naming it
    const far = Float32Array.from(own);
    far[7] = far[7]! + 0.5 * Math.max(...own.map(Math.abs));
    const wrong = await recordWithGradient(far);
    const vf = await verifyRecordFile(fileOf(wrong, { influence: { gradient: far } }));
    expect(vf.match).toBe(false);
    expect(vf.problems.join('\n')).toMatch(/^influence: the answer gradient in the file is not what adapter test-lora-[0-9a-f]{8} gives for the answer: a value is [\d.e+-]+ from this verifier's/);
  }, 300_000);

  it('`attribute --adapter <folder>` writes a record with influence (as the app computes it) that verify-record matches', async () => {
    for (const [name, extra] of [
      ['given', ['--answer', fact]],
      ['generated', ['--influence', 'damped-inverse']],
    ] as const) {
      const out = join(dir, `attribute-${name}.json`);
      const spy = vi.spyOn(console, 'log').mockImplementation(() => undefined);
      try {
        await attributeCli(['--datanet', DATA, '--prompt', PROMPT, '--adapter', adapterDir, '--no-embed', '--out', out, ...extra]);
      } finally {
        spy.mockRestore();
      }
      const text = readFileSync(out, 'utf8');
      const file = recordFileFromJson(text);
      expect(file.record.adapter?.hash).toBe(sha256Hex(files['adapter_model.safetensors']!));
      expect(file.inputs?.adapter).toBe(adapterDir);
      const method = file.record.methods.find((m) => m.method === 'influence');
      if (name === 'given' || file.answer!.trim() !== '') {
        expect(JSON.parse(method!.params)).toMatchObject({ kind: name === 'given' ? 'tracin' : 'damped-inverse', example: 'chat', system: '', seqLen: 256 });
      }
      const v = await verifyRecordFile(text);
      expect(v.problems).toEqual([]);
      expect(v.match).toBe(true);
    }
  }, 300_000);

  it('a changed influence score or weight (re-hashed) is a mismatch naming it', async () => {
    const record = await recordWith('tracin');
    const at = record.credits.findIndex((c) => c.evidence.scores.some((s) => s.method === 'influence'));
    const credit = record.credits[at]!;
    const stated = credit.evidence.scores.find((s) => s.method === 'influence')!.valueMicro;
    const forged = stated + Math.max(1_000_000, 2 * Math.abs(stated));
    const score = structuredClone(record);
    score.credits[at]!.evidence.scores.find((s) => s.method === 'influence')!.valueMicro = forged;
    const vs = await verifyRecordFile(fileOf(score));
    expect(vs.match).toBe(false);
    const who = `credit ${credit.contributionId.slice(0, 10)}…`;
    expect(vs.problems).toContain(`${who}: influence score ${forged}e-6 stated, ${stated}e-6 recomputed`);
    expect(vs.problems.some((p) => p.startsWith(`influence: ${who}: tracin score ${forged}e-6 stated, ${stated}e-6 recomputed (tolerance `))).toBe(true);
    // within the stated tolerance the score check passes; the record hash still tells the exact value
    const near = structuredClone(record);
    near.credits[at]!.evidence.scores.find((s) => s.method === 'influence')!.valueMicro += 1;
    const vn = await verifyRecordFile(fileOf(near));
    expect(vn.problems.filter((p) => p.startsWith('influence:'))).toEqual([]);
    expect(vn.problems).toContain(`${who}: influence score ${stated + 1}e-6 stated, ${stated}e-6 recomputed`);
    expect(INFLUENCE_SCORE_TOLERANCE).toBeGreaterThanOrEqual(1.5e-6); // +1 micro-unit on a rounded value

    const top = record.credits[0]!;
    const weight = structuredClone(record);
    weight.credits[0]!.weightPpm -= 1000;
    weight.unattributedPpm += 1000;
    const vw = await verifyRecordFile(fileOf(weight));
    expect(vw.match).toBe(false);
    expect(vw.problems).toContain(`credit ${top.contributionId.slice(0, 10)}…: weight ${top.weightPpm - 1000} ppm stated, ${top.weightPpm} ppm recomputed`);
  }, 300_000);

  it('refuses, with a typed error, an adapter whose bytes changed, a missing or corrupt training log, and a method the log cannot support', async () => {
    const record = await recordWith('tracin');
    const text = fileOf(record);
    const refusal = (argv: string[], t = text): Promise<unknown> => verifyRecordFile(t, argv).then(
      () => null,
      (e: unknown) => e,
    );

    const flipped = adapterCopy('flipped', (f) => void (f['adapter_model.safetensors']![f['adapter_model.safetensors']!.length - 3]! ^= 0x01));
    expect(await refusal(['--adapter', flipped])).toMatchObject({ code: 'attribution/adapter-mismatch', message: expect.stringMatching(new RegExp(`^The record names adapter ${record.adapter!.id} \\(${record.adapter!.hash}\\), the adapter given hashes to 0x[0-9a-f]{64}`)) });

    const noLog = adapterCopy('no-log', (f) => {
      delete f[TRAINING_LOG_JSON];
      delete f[TRAINING_LOG_TENSORS];
    });
    expect(await refusal(['--adapter', noLog])).toMatchObject({ code: 'attribution/training-log-missing', message: expect.stringMatching(/holds no training_log\.json and training_log\.safetensors/) });

    const noConfig = adapterCopy('no-config', (f) => void delete f['adapter_config.json']);
    expect(await refusal(['--adapter', noConfig])).toMatchObject({ code: 'attribution/invalid-input', message: expect.stringMatching(/no-config holds no adapter_config\.json/) });

    const truncated = adapterCopy('truncated', (f) => void (f[TRAINING_LOG_TENSORS] = f[TRAINING_LOG_TENSORS]!.subarray(0, 100)));
    expect(await refusal(['--adapter', truncated])).toMatchObject({ code: 'attribution/training-log-corrupt', message: expect.stringMatching(/^The training log in .*truncated cannot be read/) });

    const changedLog = adapterCopy('changed-log', (f) => void (f[TRAINING_LOG_TENSORS]![f[TRAINING_LOG_TENSORS]!.length - 2]! ^= 0x01));
    expect(await refusal(['--adapter', changedLog])).toMatchObject({ code: 'attribution/training-log-corrupt', message: expect.stringMatching(/hashes to 0x[0-9a-f]{64}, the record was scored against 0x[0-9a-f]{64}: it was changed or corrupted/) });

    const withMethod = (f: (p: Record<string, unknown>) => void, version = '2'): string => {
      const r = structuredClone(record);
      const m = r.methods.find((x) => x.method === 'influence')!;
      const p = JSON.parse(m.params) as Record<string, unknown>;
      f(p);
      m.params = JSON.stringify(p);
      m.version = version;
      return fileOf(r);
    };
    expect(await refusal([], withMethod((p) => (p.kind = 'ekfac')))).toMatchObject({ code: 'attribution/influence-unsupported', message: expect.stringMatching(/names influence method "ekfac"; a training log supports tracin and damped-inverse/) });
    expect(await refusal([], withMethod((p) => (p.checkpoints = 3)))).toMatchObject({ code: 'attribution/influence-unsupported', message: expect.stringMatching(/over 3 checkpoints; the training log in .* over 2/) });
    expect(await refusal([], withMethod(() => undefined, '1'))).toMatchObject({ code: 'attribution/influence-unsupported', message: expect.stringMatching(/method version 1/) });
    // the refusals wrote nothing: the exported folder is as it was, and still verifies
    for (const [name, bytes] of Object.entries(files)) expect(sha256Hex(new Uint8Array(readFileSync(join(adapterDir, name))))).toBe(sha256Hex(bytes));
    expect((await verifyRecordFile(text)).match).toBe(true);
  }, 300_000);
});
