/**
 * What differs between two attribution records, in words: the verifier's report when a record does not recompute.
 * Each line names the field (model, adapter, a Datanet, a credit's weight, span or score, the unattributed share, a
 * method's parameters) with the stated value and the recomputed one.
 */
import { canonicalizeRecord } from './record.ts';
import type { AttributionCredit, AttributionRecord, ContentRef, EvidenceSpan } from './types.ts';

const short = (h: string): string => (h.length > 14 ? `${h.slice(0, 10)}…` : h);
const ref = (r: ContentRef | null): string => (r ? `${r.id} (${short(r.hash)})` : 'none');
const spanText = (s: EvidenceSpan): string => `[${s.answerStart},${s.answerEnd}) "${s.text}" in passage ${s.passage.passageIndex} of ${short(s.passage.contributionId)}`;

function creditDiff(id: string, a: AttributionCredit, b: AttributionCredit): string[] {
  const out: string[] = [];
  const who = `credit ${short(id)}`;
  if (a.weightPpm !== b.weightPpm) out.push(`${who}: weight ${a.weightPpm} ppm stated, ${b.weightPpm} ppm recomputed`);
  if (a.datanetId !== b.datanetId) out.push(`${who}: Datanet ${a.datanetId} stated, ${b.datanetId} recomputed`);
  if (a.contributor !== b.contributor) out.push(`${who}: contributor ${a.contributor} stated, ${b.contributor} recomputed`);
  const sa = new Set(a.evidence.spans.map(spanText));
  const sb = new Set(b.evidence.spans.map(spanText));
  for (const s of sa) if (!sb.has(s)) out.push(`${who}: span ${s} is stated but not found`);
  for (const s of sb) if (!sa.has(s)) out.push(`${who}: span ${s} is found but not stated`);
  const scores = new Map(b.evidence.scores.map((s) => [s.method, s.valueMicro]));
  for (const s of a.evidence.scores) {
    const got = scores.get(s.method);
    if (got !== s.valueMicro) out.push(`${who}: ${s.method} score ${s.valueMicro}e-6 stated, ${got === undefined ? 'none' : `${got}e-6`} recomputed`);
    scores.delete(s.method);
  }
  for (const [m, v] of scores) out.push(`${who}: ${m} score none stated, ${v}e-6 recomputed`);
  return out;
}

/** Every difference between the `stated` record and the `recomputed` one (empty: they are the same record). */
export function diffRecords(statedRecord: AttributionRecord, recomputedRecord: AttributionRecord): string[] {
  const a = canonicalizeRecord(statedRecord);
  const b = canonicalizeRecord(recomputedRecord);
  const out: string[] = [];
  if (a.recordVersion !== b.recordVersion) out.push(`record version ${a.recordVersion} stated, ${b.recordVersion} recomputed`);
  if (ref(a.model) !== ref(b.model) || a.model.hash !== b.model.hash) out.push(`model: ${a.model.id} ${a.model.hash} stated, ${b.model.id} ${b.model.hash} recomputed`);
  if (a.adapter?.id !== b.adapter?.id || a.adapter?.hash !== b.adapter?.hash) out.push(`adapter: ${ref(a.adapter)} stated, ${ref(b.adapter)} recomputed`);
  if (a.promptHash !== b.promptHash) out.push('promptHash differs');
  if (a.answerHash !== b.answerHash) out.push('answerHash differs');
  const dn = (r: AttributionRecord): string[] => r.datanets.map((d) => `${d.datanetId} v${d.version} (root ${short(d.merkleRoot)})`);
  if (dn(a).join() !== dn(b).join()) out.push(`Datanets: ${dn(a).join(', ') || 'none'} stated, ${dn(b).join(', ') || 'none'} recomputed`);
  const byId = new Map(b.credits.map((c) => [c.contributionId, c]));
  for (const c of a.credits) {
    const other = byId.get(c.contributionId);
    if (!other) out.push(`credit ${short(c.contributionId)}: ${c.weightPpm} ppm stated, not credited when recomputed`);
    else out.push(...creditDiff(c.contributionId, c, other));
    byId.delete(c.contributionId);
  }
  for (const c of byId.values()) out.push(`credit ${short(c.contributionId)}: not stated, ${c.weightPpm} ppm recomputed`);
  if (a.unattributedPpm !== b.unattributedPpm) out.push(`unattributed share ${a.unattributedPpm} ppm stated, ${b.unattributedPpm} ppm recomputed`);
  const methods = new Map(b.methods.map((m) => [m.method, m]));
  for (const m of a.methods) {
    const o = methods.get(m.method);
    if (!o) out.push(`method ${m.method}: stated, not used when recomputed`);
    else if (o.version !== m.version || o.params !== m.params) out.push(`method ${m.method}: version ${m.version} ${m.params} stated, version ${o.version} ${o.params} recomputed`);
    methods.delete(m.method);
  }
  for (const m of methods.values()) out.push(`method ${m.method}: not stated, used when recomputed`);
  return out;
}
