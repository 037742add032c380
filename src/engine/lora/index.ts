/** OpenLoRA: PEFT adapters, merging, the registry and the GPU slot pool. See each module's header. */
export * from './peft.ts';
export * from './merge.ts';
export * from './registry.ts';
export * from './pool.ts';
export * from './importPeft.ts';
