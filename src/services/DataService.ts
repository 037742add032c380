/**
 * The data worker's service: every write of the app (and the heavy work before it) goes through here.
 * Each method lives in its own module; this class only binds them to one database and its
 * dependencies. See client/api.ts for the contract.
 */
import type {
  ContributionPreview,
  ContributionSource,
  DataApi,
  DeletedDatanet,
  ExportedPack,
  ImportReport,
  PreparedContribution,
  ProgressCallback,
  SignedContribution,
  SubmitResult,
  VoteResult,
} from '../workerApi/dataApi.ts';
import type { Address, Datanet, DatanetDraft, Hex, IdentityPublic, ValidationPayload, Verdict } from '../core/types.ts';
import type { VersionTypedData } from '../core/signing.ts';
import type { TributaryDB } from '../store/db.ts';
import type { ServiceContext, ServiceDeps } from './context.ts';
import { createDatanet, createSignedDatanet, prepareDatanet } from './datanets.ts';
import { deleteOwnDatanet } from './deleteDatanet.ts';
import { ensureDemoData } from './demo.ts';
import { createIdentity, listIdentities } from './identities.ts';
import { exportPack, importPack, importPackFromUrl, versionToSign } from './packs.ts';
import { previewContributions } from './preview.ts';
import { PreviewStore } from './previewStore.ts';
import { prepareContributions, submitContributions, submitSignedContributions } from './submit.ts';
import { castSignedVote, castVote, prepareVote } from './votes.ts';

export type { ServiceDeps };

export class DataService implements DataApi {
  readonly #ctx: ServiceContext;

  constructor(db: TributaryDB, deps: ServiceDeps) {
    this.#ctx = { db, deps, previews: new PreviewStore() };
  }

  async ping(): Promise<'pong'> {
    return 'pong';
  }

  listIdentities(): Promise<IdentityPublic[]> {
    return listIdentities(this.#ctx);
  }

  createIdentity(label: string): Promise<IdentityPublic> {
    return createIdentity(this.#ctx, label);
  }

  createDatanet(draft: DatanetDraft): Promise<Datanet> {
    return createDatanet(this.#ctx, draft);
  }

  prepareDatanet(draft: DatanetDraft): Promise<Datanet> {
    return prepareDatanet(this.#ctx, draft);
  }

  createSignedDatanet(datanet: Datanet, signature: Hex): Promise<Datanet> {
    return createSignedDatanet(this.#ctx, datanet, signature);
  }

  deleteDatanet(id: string, requester: Address): Promise<DeletedDatanet> {
    return deleteOwnDatanet(this.#ctx, id, requester);
  }

  previewContributions(
    datanetId: string,
    contributor: Address,
    sources: ContributionSource[],
    onProgress?: ProgressCallback,
  ): Promise<ContributionPreview[]> {
    return previewContributions(this.#ctx, datanetId, contributor, sources, onProgress);
  }

  submitContributions(previewIds: string[], contributor: Address, onProgress?: ProgressCallback): Promise<SubmitResult> {
    return submitContributions(this.#ctx, previewIds, contributor, onProgress);
  }

  castVote(contributionId: Hex, validator: Address, verdict: Verdict, reason: string): Promise<VoteResult> {
    return castVote(this.#ctx, contributionId, validator, verdict, reason);
  }

  prepareContributions(previewIds: string[], contributor: Address): Promise<{ prepared: PreparedContribution[]; failed: SubmitResult['failed'] }> {
    return prepareContributions(this.#ctx, previewIds, contributor);
  }

  submitSignedContributions(items: SignedContribution[], onProgress?: ProgressCallback): Promise<SubmitResult> {
    return submitSignedContributions(this.#ctx, items, onProgress);
  }

  prepareVote(contributionId: Hex, validator: Address, verdict: Verdict, reason: string): Promise<ValidationPayload> {
    return prepareVote(this.#ctx, contributionId, validator, verdict, reason);
  }

  castSignedVote(payload: ValidationPayload, signature: Hex): Promise<VoteResult> {
    return castSignedVote(this.#ctx, payload, signature);
  }

  exportPack(datanetId: string, version?: number, onProgress?: ProgressCallback, ownerVersionSignature?: Hex): Promise<ExportedPack> {
    return exportPack(this.#ctx, datanetId, version, onProgress, ownerVersionSignature);
  }

  versionToSign(datanetId: string, version: number): Promise<VersionTypedData> {
    return versionToSign(this.#ctx, datanetId, version);
  }

  importPack(bytes: Uint8Array, source: string, onProgress?: ProgressCallback): Promise<ImportReport> {
    return importPack(this.#ctx, bytes, source, onProgress);
  }

  importPackFromUrl(url: string, onProgress?: ProgressCallback): Promise<ImportReport> {
    return importPackFromUrl(this.#ctx, url, onProgress);
  }

  ensureDemoData(baseUrl: string, onProgress?: ProgressCallback): Promise<number> {
    return ensureDemoData(this.#ctx, baseUrl, onProgress);
  }

  async crashForTesting(): Promise<void> {
    setTimeout(() => {
      throw new Error('crash requested for testing');
    });
  }
}
