import type { TributaryDB } from '../store/db.ts';
import type { PreviewStore } from './previewStore.ts';

/** What the data service needs from its surroundings (injected so tests control time, entropy and network). */
export interface ServiceDeps {
  now(): number;
  randomBytes(n: number): Uint8Array;
  fetch: typeof fetch;
}

/** Shared state of one DataService: its database, its dependencies and the previews awaiting submission. */
export interface ServiceContext {
  db: TributaryDB;
  deps: ServiceDeps;
  previews: PreviewStore;
}
