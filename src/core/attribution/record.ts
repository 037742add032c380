/**
 * The attribution record's EIP-712 type, its canonical form and its hash.
 *
 * `attributionRecordHash(r)` is `hashTypedData` under the project's domain (`EIP712_DOMAIN`, core/signing)
 * of the record in canonical order (see `canonicalizeRecord`). Two records with the same content in any
 * order hash the same; any change of a field (a weight, a span offset, a score, a root) changes the hash.
 * The hash is what a settlement's Merkle tree commits to.
 */
import { hashTypedData } from 'viem';
import { TributaryError } from '../errors.ts';
import { EIP712_DOMAIN } from '../signing.ts';
import type { Hex } from '../types.ts';
import { ATTRIBUTION_METHODS, KNOWN_RECORD_VERSIONS, PPM, type AttributionCredit, type AttributionRecord, type EvidenceSpan, type MethodScore } from './types.ts';

const ZERO32: Hex = `0x${'0'.repeat(64)}`;

export const ATTRIBUTION_RECORD_TYPES = {
  AttributionRecord: [
    { name: 'recordVersion', type: 'uint16' },
    { name: 'modelId', type: 'string' },
    { name: 'modelHash', type: 'bytes32' },
    { name: 'hasAdapter', type: 'bool' },
    { name: 'adapterId', type: 'string' },
    { name: 'adapterHash', type: 'bytes32' },
    { name: 'promptHash', type: 'bytes32' },
    { name: 'answerHash', type: 'bytes32' },
    { name: 'datanets', type: 'DatanetVersionRef[]' },
    { name: 'credits', type: 'AttributionCredit[]' },
    { name: 'unattributedPpm', type: 'uint32' },
    { name: 'methods', type: 'MethodInfo[]' },
  ],
  DatanetVersionRef: [
    { name: 'datanetId', type: 'string' },
    { name: 'version', type: 'uint32' },
    { name: 'merkleRoot', type: 'bytes32' },
  ],
  AttributionCredit: [
    { name: 'contributionId', type: 'bytes32' },
    { name: 'datanetId', type: 'string' },
    { name: 'contributor', type: 'address' },
    { name: 'weightPpm', type: 'uint32' },
    { name: 'spans', type: 'EvidenceSpan[]' },
    { name: 'scores', type: 'MethodScore[]' },
  ],
  EvidenceSpan: [
    { name: 'answerStart', type: 'uint32' },
    { name: 'answerEnd', type: 'uint32' },
    { name: 'contributionId', type: 'bytes32' },
    { name: 'passageIndex', type: 'uint32' },
    { name: 'text', type: 'string' },
  ],
  MethodScore: [
    { name: 'method', type: 'string' },
    { name: 'valueMicro', type: 'int64' },
  ],
  MethodInfo: [
    { name: 'method', type: 'string' },
    { name: 'version', type: 'string' },
    { name: 'params', type: 'string' },
  ],
} as const;

const cmp = (a: string | number, b: string | number): number => (a < b ? -1 : a > b ? 1 : 0);
const methodRank = (m: string): number => ATTRIBUTION_METHODS.indexOf(m as (typeof ATTRIBUTION_METHODS)[number]);

function canonicalSpans(spans: readonly EvidenceSpan[]): EvidenceSpan[] {
  return spans
    .map((s) => ({
      answerStart: s.answerStart,
      answerEnd: s.answerEnd,
      passage: { contributionId: s.passage.contributionId.toLowerCase() as Hex, passageIndex: s.passage.passageIndex },
      text: s.text,
    }))
    .sort(
      (a, b) =>
        a.answerStart - b.answerStart ||
        a.answerEnd - b.answerEnd ||
        cmp(a.passage.contributionId, b.passage.contributionId) ||
        a.passage.passageIndex - b.passage.passageIndex,
    );
}

function canonicalScores(scores: readonly MethodScore[]): MethodScore[] {
  return scores.map((s) => ({ method: s.method, valueMicro: s.valueMicro })).sort((a, b) => methodRank(a.method) - methodRank(b.method));
}

/**
 * The record in canonical order and with canonical spelling: Datanets by id; credits by weight (largest
 * first) then contribution id; spans by answer offsets then passage; scores and methods in
 * `ATTRIBUTION_METHODS` order; hashes and addresses lower-case. Key order is fixed, so
 * `JSON.stringify(canonicalizeRecord(r))` is the record's canonical JSON.
 */
export function canonicalizeRecord(r: AttributionRecord): AttributionRecord {
  const credits: AttributionCredit[] = r.credits
    .map((c) => ({
      contributionId: c.contributionId.toLowerCase() as Hex,
      datanetId: c.datanetId,
      contributor: c.contributor.toLowerCase() as Hex,
      weightPpm: c.weightPpm,
      evidence: { spans: canonicalSpans(c.evidence.spans), scores: canonicalScores(c.evidence.scores) },
    }))
    .sort((a, b) => b.weightPpm - a.weightPpm || cmp(a.contributionId, b.contributionId));
  return {
    recordVersion: r.recordVersion,
    model: { id: r.model.id, hash: r.model.hash.toLowerCase() as Hex },
    adapter: r.adapter ? { id: r.adapter.id, hash: r.adapter.hash.toLowerCase() as Hex } : null,
    promptHash: r.promptHash.toLowerCase() as Hex,
    answerHash: r.answerHash.toLowerCase() as Hex,
    datanets: r.datanets
      .map((d) => ({ datanetId: d.datanetId, version: d.version, merkleRoot: d.merkleRoot.toLowerCase() as Hex }))
      .sort((a, b) => cmp(a.datanetId, b.datanetId) || a.version - b.version),
    credits,
    unattributedPpm: r.unattributedPpm,
    methods: r.methods
      .map((m) => ({ method: m.method, version: m.version, params: m.params }))
      .sort((a, b) => methodRank(a.method) - methodRank(b.method)),
  };
}

/** The EIP-712 typed data of a record (canonical order), for hashing or a wallet's `signTypedData`. */
export function attributionRecordTypedData(record: AttributionRecord) {
  const r = canonicalizeRecord(record);
  return {
    domain: EIP712_DOMAIN,
    types: ATTRIBUTION_RECORD_TYPES,
    primaryType: 'AttributionRecord',
    message: {
      recordVersion: r.recordVersion,
      modelId: r.model.id,
      modelHash: r.model.hash,
      hasAdapter: r.adapter !== null,
      adapterId: r.adapter?.id ?? '',
      adapterHash: r.adapter?.hash ?? ZERO32,
      promptHash: r.promptHash,
      answerHash: r.answerHash,
      datanets: r.datanets,
      credits: r.credits.map((c) => ({
        contributionId: c.contributionId,
        datanetId: c.datanetId,
        contributor: c.contributor,
        weightPpm: c.weightPpm,
        spans: c.evidence.spans.map((s) => ({
          answerStart: s.answerStart,
          answerEnd: s.answerEnd,
          contributionId: s.passage.contributionId,
          passageIndex: s.passage.passageIndex,
          text: s.text,
        })),
        scores: c.evidence.scores.map((s) => ({ method: s.method, valueMicro: BigInt(s.valueMicro) })),
      })),
      unattributedPpm: r.unattributedPpm,
      methods: r.methods,
    },
  } as const;
}

/**
 * The record's identity: EIP-712 hash of its canonical form. Validates first.
 * @throws TributaryError `attribution/invalid-record` when the record breaks a rule (see validateRecord).
 */
export function attributionRecordHash(record: AttributionRecord): Hex {
  validateRecord(record);
  return hashTypedData(attributionRecordTypedData(record));
}

/** Checks every rule of the record; throws `attribution/invalid-record` naming the first broken one. */
export function validateRecord(r: AttributionRecord): void {
  const bad = (what: string): never => {
    throw new TributaryError('attribution/invalid-record', `${what}. The record was not accepted; recompute it with \`npm run cli -- attribute\`.`);
  };
  const isHash = (h: unknown): boolean => typeof h === 'string' && /^0x[0-9a-fA-F]{64}$/.test(h);
  const isUint = (n: unknown, max = 0xffffffff): boolean => Number.isSafeInteger(n) && (n as number) >= 0 && (n as number) <= max;
  if (!KNOWN_RECORD_VERSIONS.includes(r.recordVersion)) bad(`recordVersion is ${String(r.recordVersion)}; this version of Tributary reads ${KNOWN_RECORD_VERSIONS.join(' and ')}`);
  if (typeof r.model?.id !== 'string' || r.model.id === '' || !isHash(r.model.hash)) bad('model needs an id and a 32-byte content hash');
  if (r.adapter !== null && (typeof r.adapter?.id !== 'string' || r.adapter.id === '' || !isHash(r.adapter.hash))) {
    bad('adapter must be null or have an id and a 32-byte content hash');
  }
  if (!isHash(r.promptHash) || !isHash(r.answerHash)) bad('promptHash and answerHash must be 32-byte hex hashes');
  if (!Array.isArray(r.datanets) || !Array.isArray(r.credits) || !Array.isArray(r.methods)) bad('datanets, credits and methods must be lists');
  const datanetIds = new Set<string>();
  for (const d of r.datanets) {
    if (typeof d.datanetId !== 'string' || d.datanetId === '' || !isUint(d.version) || !isHash(d.merkleRoot)) {
      bad('each Datanet needs an id, an integer version and a 32-byte Merkle root');
    }
    if (datanetIds.has(d.datanetId)) bad(`Datanet ${d.datanetId} is listed twice`);
    datanetIds.add(d.datanetId);
  }
  const seen = new Set<string>();
  let sum = 0;
  for (const c of r.credits) {
    if (!isHash(c.contributionId)) bad('a credit has no 32-byte contribution id');
    const key = c.contributionId.toLowerCase();
    if (seen.has(key)) bad(`contribution ${c.contributionId} is credited twice`);
    seen.add(key);
    if (!datanetIds.has(c.datanetId)) bad(`credit ${c.contributionId} names Datanet ${c.datanetId}, which the record does not list`);
    if (typeof c.contributor !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(c.contributor)) bad(`credit ${c.contributionId} has no contributor address`);
    if (!isUint(c.weightPpm, PPM) || c.weightPpm < 1) bad(`credit ${c.contributionId} has weight ${String(c.weightPpm)}, not an integer in 1..${PPM}`);
    sum += c.weightPpm;
    for (const s of c.evidence?.spans ?? bad(`credit ${c.contributionId} has no evidence`)) {
      if (!isUint(s.answerStart) || !isUint(s.answerEnd) || s.answerEnd <= s.answerStart) bad('a span needs integer offsets with answerStart < answerEnd');
      if (typeof s.text !== 'string' || s.text.length !== s.answerEnd - s.answerStart) bad('a span\'s text must be the answer\'s text between its offsets');
      if (!isHash(s.passage?.contributionId) || !isUint(s.passage.passageIndex)) bad('a span needs a passage (contribution id and passage index)');
    }
    const methods = new Set<string>();
    for (const s of c.evidence.scores) {
      if (methodRank(s.method) < 0) bad(`unknown method "${String(s.method)}" in a score`);
      if (methods.has(s.method)) bad(`method ${s.method} scored twice for one credit`);
      methods.add(s.method);
      if (!Number.isSafeInteger(s.valueMicro)) bad(`score ${s.method} is not an integer number of millionths`);
    }
  }
  if (!isUint(r.unattributedPpm, PPM)) bad(`unattributedPpm is ${String(r.unattributedPpm)}, not an integer in 0..${PPM}`);
  if (sum + r.unattributedPpm !== PPM) bad(`weights (${sum}) plus unattributed (${r.unattributedPpm}) must make exactly ${PPM} ppm`);
  const methodNames = new Set<string>();
  for (const m of r.methods) {
    if (methodRank(m.method) < 0) bad(`unknown method "${String(m.method)}"`);
    if (methodNames.has(m.method)) bad(`method ${m.method} listed twice`);
    methodNames.add(m.method);
    if (typeof m.version !== 'string' || typeof m.params !== 'string') bad(`method ${m.method} needs a version and params text`);
  }
}
