/**
 * `npm run cli -- pack --data <data.jsonl | folder of .md/.txt> --name "<Datanet name>" [--out <file.zip>]
 *   [--licence CC-BY-4.0] [--base <model dir>] [--encoder <dir or url>] [--no-embed]`
 *
 * Makes a signed, owner-moderated Datanet pack (version 1, everything accepted) with its attribution indexes.
 * Keys are DERIVED from the names given (the owner from the Datanet name, each contributor from its `contributor`
 * field, or from the file name for a folder): they are public by construction, like the demo Datanets', so such a
 * pack proves structure, not authorship. The contributor addresses used are printed.
 */
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { keccak256, toHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { validatePassageOptions } from '../../src/core/passage.ts';
import { validateDatanetDraft } from '../../src/core/datanet.ts';
import { sha256Text } from '../../src/core/hash.ts';
import { versionMerkleRoot } from '../../src/core/merkle.ts';
import { writePack } from '../../src/core/pack/writePack.ts';
import { prepareText } from '../../src/core/prepareText.ts';
import { signContribution, signDatanet, signValidation, signVersion } from '../../src/core/signing.ts';
import type { Passage, Contribution, Datanet, DatanetVersion, Hex, Validation } from '../../src/core/types.ts';
import { parseDataJsonl } from '../../src/attribution/jsonlSource.ts';
import { buildIndexFiles, sourceFromPack } from '../../src/attribution/packIndexes.ts';
import { parseArgs } from './_args.ts';
import { DEMO_MODEL_DIR, loadModelDir } from './_model.ts';
import { onnxEncoderArg } from './_encoder.ts';

export const summary = 'make a signed Datanet pack with attribution indexes from a jsonl file or a folder of texts';

const cliKey = (...parts: string[]): Hex => keccak256(toHex(['tributary-cli', ...parts].join(':')));

export async function run(argv: string[]): Promise<void> {
  const args = parseArgs(argv);
  const data = args.need('data', 'data.jsonl|folder');
  const name = args.need('name', 'Datanet name');
  const items = statSync(data).isDirectory()
    ? readdirSync(data)
        .filter((f) => /\.(md|txt)$/.test(f))
        .sort()
        .map((f) => ({ id: f, contributor: basename(f).replace(/\.(md|txt)$/, ''), text: readFileSync(join(data, f), 'utf8') }))
    : parseDataJsonl(readFileSync(data, 'utf8'), data);
  const now = Date.UTC(2026, 0, 1);
  const ownerKey = cliKey(name, 'owner');
  const draft = validateDatanetDraft({
    name,
    summary: `Made by npm run cli -- pack from ${basename(data)}`,
    descriptionMd: '',
    tags: [],
    licence: args.get('licence') ?? 'CC-BY-4.0',
    owner: privateKeyToAccount(ownerKey).address,
    rewardPolicy: { contributorsBps: 8000, ownerBps: 2000 },
    moderation: 'owner',
    chunking: { unit: 'chars', size: 1200, overlap: 0 },
  });
  const chunking = validatePassageOptions(draft.chunking);
  const datanet: Datanet = { ...draft, chunking, id: `dn-${sha256Text(`cli:${name}`).slice(2, 18)}`, dataType: 'text', createdAt: now, currentVersion: 1, origin: { kind: 'local' } };
  const { signature: datanetSignature } = await signDatanet(datanet, ownerKey);
  const contributions: Contribution[] = [];
  const chunks: Passage[] = [];
  const validations: Validation[] = [];
  const addresses = new Map<string, string>();
  for (const [i, item] of items.entries()) {
    const key = cliKey(name, 'contributor', item.contributor);
    const contributor = privateKeyToAccount(key).address;
    addresses.set(item.contributor, contributor);
    const prepared = prepareText(item.text, chunking);
    const createdAt = now + (i + 1) * 1000;
    const payload = { datanetId: datanet.id, contributor, title: item.id, mediaType: 'text/plain', textHash: prepared.textHash, chunksHash: prepared.chunksHash, chunkCount: prepared.chunks.length, createdAt };
    const { id, signature } = await signContribution(payload, key);
    contributions.push({ ...payload, id, signature, sourceBytes: new TextEncoder().encode(item.text).length, status: 'accepted', decidedAt: createdAt + 500, acceptedInVersion: 1, minhash: prepared.minhash });
    for (const c of prepared.chunks) chunks.push({ hash: c.hash, dedupeHash: c.dedupeHash, contributionId: id, datanetId: datanet.id, index: c.index, text: c.text, start: c.start, end: c.end });
    const vp = { contributionId: id, validator: draft.owner, verdict: 'approve' as const, reason: '', createdAt: createdAt + 600 };
    const signed = await signValidation(vp, ownerKey);
    validations.push({ ...vp, id: signed.id, signature: signed.signature, datanetId: datanet.id, weight: 1, role: 'owner' });
  }
  const version: DatanetVersion = {
    datanetId: datanet.id,
    version: 1,
    merkleRoot: versionMerkleRoot(contributions.map((c) => ({ contributionId: c.id, contributor: c.contributor }))),
    contributionIds: contributions.map((c) => c.id),
    addedIds: contributions.map((c) => c.id),
    createdAt: now + (items.length + 1) * 1000,
  };
  const versionSignature = await signVersion(datanet, version, ownerKey);
  const contents = { datanet, datanetSignature, version, versionSignature, contributions, chunks, validations };
  const encoder = args.has('no-embed') ? undefined : ((await onnxEncoderArg(args)) ?? (await loadModelDir(args.get('base') ?? DEMO_MODEL_DIR)).encoder);
  const indexes = await buildIndexFiles(sourceFromPack(contents), { ...(encoder ? { encoder } : {}), onProgress: (phase, done, total) => done === total && process.stderr.write(`${phase} ready (${total})\n`) });
  const w = writePack(contents, version.createdAt, { indexes });
  const out = args.get('out') ?? w.fileName;
  writeFileSync(out, w.bytes);
  for (const [label, address] of addresses) console.log(`contributor ${label} → ${address} (derived key)`);
  console.log(`wrote ${out}: ${contributions.length} contributions, ${chunks.length} passages, indexes ${[...indexes.keys()].join(', ')}, manifest ${w.manifestHash}`);
}
