/**
 * Builds the bundled demo Datanet packs from the texts in `demo/<slug>/` into `public/demo/`.
 *
 * Everything is deterministic (fixed keys derived from names, fixed timestamps), so the same sources
 * give byte-identical packs. The keys are demo keys: they are public by construction and hold nothing.
 * The packs go through the same signing, hashing and pack writer as user data, and the app imports
 * them through the same verifying importer on first start.
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { keccak256, toHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { sha256Text } from '../src/core/hash.ts';
import { prepareText } from '../src/core/prepareText.ts';
import { signContribution, signDatanet, signValidation, signVersion } from '../src/core/signing.ts';
import { versionMerkleRoot } from '../src/core/merkle.ts';
import { validateDatanetDraft } from '../src/core/datanet.ts';
import { validatePassageOptions } from '../src/core/passage.ts';
import { writePack } from '../src/core/pack/writePack.ts';
import type { Passage, Contribution, Datanet, DatanetDraft, DatanetVersion, Hex, Validation } from '../src/core/types.ts';

const SOURCE_DIR = 'demo';
const OUT_DIR = join('public', 'demo');
/** 2026-10-01T00:00:00Z: demo records are dated from here. */
const EPOCH = Date.UTC(2026, 9, 1);
const HOUR = 3_600_000;

type DemoDatanetFile = Omit<DatanetDraft, 'owner'>;

function demoKey(...parts: string[]): Hex {
  return keccak256(toHex(['tributary-demo', ...parts].join(':')));
}

function parseDoc(fileName: string, raw: string): { contributor: number; title: string; text: string } {
  const m = /^<!--\s*contributor:\s*(\d+)\s*-->\s*\n/.exec(raw);
  if (!m) throw new Error(`${fileName}: first line must be <!-- contributor: K -->`);
  const text = raw.slice(m[0].length);
  const title = /^#\s+(.+)$/m.exec(text)?.[1]?.trim();
  if (!title) throw new Error(`${fileName}: no "# Title" line`);
  return { contributor: Number(m[1]), title, text };
}

async function buildOne(slug: string): Promise<{ file: string; datanetId: string; name: string; contributions: number; chunks: number }> {
  const dir = join(SOURCE_DIR, slug);
  const meta = JSON.parse(readFileSync(join(dir, 'datanet.json'), 'utf8')) as DemoDatanetFile;
  const ownerKey = demoKey(slug, 'owner');
  const owner = privateKeyToAccount(ownerKey).address;
  const draft = validateDatanetDraft({ ...meta, owner });
  const chunking = validatePassageOptions(draft.chunking);
  const datanet: Datanet = {
    ...draft,
    chunking,
    id: `dn-${sha256Text(`demo:${slug}`).slice(2, 18)}`,
    dataType: 'text',
    createdAt: EPOCH,
    currentVersion: 1,
    origin: { kind: 'local' },
  };
  const { signature: datanetSignature } = await signDatanet(datanet, ownerKey);

  const validatorKeys = [demoKey(slug, 'validator', '1'), demoKey(slug, 'validator', '2')];
  const docs = readdirSync(join(dir, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort();
  const contributions: Contribution[] = [];
  const chunks: Passage[] = [];
  const validations: Validation[] = [];
  for (const [i, fileName] of docs.entries()) {
    const raw = readFileSync(join(dir, 'docs', fileName), 'utf8');
    const doc = parseDoc(fileName, raw);
    const contributorKey = demoKey(slug, 'contributor', String(doc.contributor));
    const contributor = privateKeyToAccount(contributorKey).address;
    const prepared = prepareText(doc.text, chunking);
    const createdAt = EPOCH + (i + 1) * HOUR;
    const payload = {
      datanetId: datanet.id,
      contributor,
      title: fileName,
      mediaType: 'text/markdown',
      textHash: prepared.textHash,
      chunksHash: prepared.chunksHash,
      chunkCount: prepared.chunks.length,
      createdAt,
    };
    const { id, signature } = await signContribution(payload, contributorKey);
    contributions.push({
      ...payload,
      id,
      signature,
      sourceBytes: new TextEncoder().encode(raw).length,
      status: 'accepted',
      decidedAt: createdAt + HOUR / 2,
      acceptedInVersion: 1,
      minhash: prepared.minhash,
    });
    for (const c of prepared.chunks) {
      chunks.push({ hash: c.hash, dedupeHash: c.dedupeHash, contributionId: id, datanetId: datanet.id, index: c.index, text: c.text, start: c.start, end: c.end });
    }
    // Quorum Datanets: two validators approve; owner-moderated: the owner approves.
    const voters = datanet.moderation === 'owner' ? [{ key: ownerKey, role: 'owner' as const }] : validatorKeys.map((key) => ({ key, role: 'validator' as const }));
    for (const [j, voter] of voters.entries()) {
      const vp = { contributionId: id, validator: privateKeyToAccount(voter.key).address, verdict: 'approve' as const, reason: '', createdAt: createdAt + (j + 1) * 60_000 };
      const signed = await signValidation(vp, voter.key);
      validations.push({ ...vp, id: signed.id, signature: signed.signature, datanetId: datanet.id, weight: 0.5, role: voter.role });
    }
  }
  const version: DatanetVersion = {
    datanetId: datanet.id,
    version: 1,
    merkleRoot: versionMerkleRoot(contributions.map((c) => ({ contributionId: c.id, contributor: c.contributor }))),
    contributionIds: contributions.map((c) => c.id),
    addedIds: contributions.map((c) => c.id),
    createdAt: EPOCH + (docs.length + 1) * HOUR,
  };
  // the owner publishes the version (only the owner may: docs/PACK-FORMAT.md, "Trust model")
  const versionSignature = await signVersion(datanet, version, ownerKey);
  const pack = writePack({ datanet, datanetSignature, version, versionSignature, contributions, chunks, validations }, version.createdAt);
  const file = `${slug}.tributary.zip`;
  writeFileSync(join(OUT_DIR, file), pack.bytes);
  return { file, datanetId: datanet.id, name: datanet.name, contributions: contributions.length, chunks: chunks.length };
}

const slugs = readdirSync(SOURCE_DIR, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();
mkdirSync(OUT_DIR, { recursive: true });
const packs = [];
for (const slug of slugs) {
  const built = await buildOne(slug);
  packs.push(built);
  console.log(`demo pack ${built.file}: ${built.contributions} contributions, ${built.chunks} passages`);
}
writeFileSync(join(OUT_DIR, 'index.json'), JSON.stringify({ packs: packs.map(({ file, datanetId, name }) => ({ file, datanetId, name })) }, null, 2));
