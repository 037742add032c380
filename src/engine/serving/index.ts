/** Serving: the batching generation scheduler (many chats, each on its own adapter, one forward pass per step). */
export * from './scheduler.ts';
