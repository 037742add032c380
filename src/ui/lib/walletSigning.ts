/**
 * Datanets, contributions and votes signed by whoever is acting: a local key signs in the data worker (as before);
 * the connected wallet's account signs in the wallet — the worker prepares the EIP-712 payload, the
 * wallet signs exactly that typed data (core/signing), the worker verifies and stores it.
 */
import type { ExportedPack, ProgressCallback, SubmitResult, VoteResult } from '../../workerApi/dataApi.ts';
import { getDataApi } from '../../client/dataClient.ts';
import type { Address, Datanet, DatanetDraft, Hex, Verdict } from '../../core/types.ts';
import { isWalletAddress } from './identity.ts';
import { isTributaryError } from '../../core/errors.ts';

// The wallet path (viem's typed data, the wallet session) is loaded only when a wallet signs: a local key signs in
// the data worker and needs neither.
const walletCode = async () => {
  const [state, signing] = await Promise.all([import('./walletState.ts'), import('../../core/signing.ts')]);
  return { walletSigner: state.walletSigner, ...signing };
};

/** Sign and store previews as `contributor` (local key or wallet). */
export async function submitContributionsAs(previewIds: string[], contributor: Address, onProgress?: ProgressCallback): Promise<SubmitResult> {
  const api = getDataApi();
  if (!isWalletAddress(contributor)) return api.submitContributions(previewIds, contributor, onProgress);
  const { walletSigner, contributionTypedData } = await walletCode();
  const sign = await walletSigner(contributor);
  const { prepared, failed } = await api.prepareContributions(previewIds, contributor);
  const signed = [];
  for (const [i, p] of prepared.entries()) {
    onProgress?.({ stage: 'signing', done: i, total: prepared.length, subject: p.payload.title });
    // A rejection in the wallet stops here: nothing of this batch is stored.
    signed.push({ ...p, signature: await sign(contributionTypedData(p.payload)) });
  }
  const result = await api.submitSignedContributions(signed, onProgress);
  return { submitted: result.submitted, failed: [...failed, ...result.failed] };
}

/** Cast a vote as `validator` (local key or wallet). */
export async function castVoteAs(contributionId: Hex, validator: Address, verdict: Verdict, reason: string): Promise<VoteResult> {
  const api = getDataApi();
  if (!isWalletAddress(validator)) return api.castVote(contributionId, validator, verdict, reason);
  const { walletSigner, validationTypedData } = await walletCode();
  const sign = await walletSigner(validator);
  const payload = await api.prepareVote(contributionId, validator, verdict, reason);
  return api.castSignedVote(payload, await sign(validationTypedData(payload)));
}

/**
 * Create a Datanet owned by `draft.owner`: a local key's Datanet is made in the worker; a wallet-owned one
 * is prepared by the worker, signed in the wallet (the same EIP-712 typed data a local key signs when
 * exporting) and stored with that signature. A rejection in the wallet stores nothing.
 */
export async function createDatanetAs(draft: DatanetDraft): Promise<Datanet> {
  const api = getDataApi();
  if (!isWalletAddress(draft.owner)) return api.createDatanet(draft);
  const { walletSigner, datanetTypedData } = await walletCode();
  const sign = await walletSigner(draft.owner);
  const prepared = await api.prepareDatanet(draft);
  return api.createSignedDatanet(prepared, await sign(datanetTypedData(prepared)));
}

/**
 * Export a version of `datanet` as a pack. A wallet-owned Datanet's version carries its owner's
 * publication signature: when none is kept yet, the owner's wallet signs it (the worker prepares the
 * typed data and checks the signature). Only the owner can do this: anyone else gets `pack/signature`.
 */
export async function exportPackAs(datanet: Datanet, version: number, onProgress?: ProgressCallback): Promise<ExportedPack> {
  const api = getDataApi();
  if (!isWalletAddress(datanet.owner)) return api.exportPack(datanet.id, version, onProgress);
  try {
    return await api.exportPack(datanet.id, version, onProgress);
  } catch (e) {
    if (!isTributaryError(e) || e.code !== 'pack/signature') throw e;
  }
  const { walletSigner } = await walletCode();
  const sign = await walletSigner(datanet.owner);
  const signature = await sign(await api.versionToSign(datanet.id, version));
  return api.exportPack(datanet.id, version, onProgress, signature);
}
