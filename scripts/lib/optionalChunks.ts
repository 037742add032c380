/**
 * Which chunks of a build are optional: reachable from the entries only through a dynamic import of an optional
 * library (WalletConnect, WebLLM, pdf.js, mammoth, onnxruntime-web for the optional ONNX attribution encoder). The service worker leaves them out of its precache and caches
 * them when first used (vite.config.ts), so installing the app does not download megabytes most people never run.
 * Everything a page or a worker loads otherwise (its static imports, the pages' own lazy chunks) stays precached,
 * so the app keeps working offline.
 */

/** What this needs of a Rollup/Rolldown output chunk. */
export interface ChunkGraphNode {
  fileName: string;
  isEntry: boolean;
  facadeModuleId: string | null;
  imports: readonly string[];
  dynamicImports: readonly string[];
}

/** Modules whose dynamic import starts an optional part of the app (matched against the module's path). */
export const OPTIONAL_DYNAMIC_IMPORTS: readonly RegExp[] = [
  /[\\/]node_modules[\\/]@walletconnect[\\/]ethereum-provider[\\/]/,
  /[\\/]node_modules[\\/]@mlc-ai[\\/]web-llm[\\/]/,
  /[\\/]node_modules[\\/]mammoth[\\/]/,
  /[\\/]src[\\/]ingest[\\/]pdfjs\.ts$/,
  /[\\/]node_modules[\\/]onnxruntime-web[\\/]/,
];

/** Assets only an optional chunk fetches (onnxruntime-web's wasm, ~14 MB): left out of the precache too. */
export const OPTIONAL_ASSETS: readonly RegExp[] = [/(^|\/)ort-wasm-[^/]*\.wasm$/];

export function isOptionalRoot(moduleId: string | null, roots: readonly RegExp[] = OPTIONAL_DYNAMIC_IMPORTS): boolean {
  return moduleId !== null && roots.some((r) => r.test(moduleId.replace(/\?.*$/, '')));
}

/**
 * The file names of the optional chunks: those not reachable from an entry when dynamic imports of optional roots
 * are not followed (static imports always are; a chunk an optional part shares with the rest stays required).
 */
export function optionalChunks(chunks: readonly ChunkGraphNode[], roots: readonly RegExp[] = OPTIONAL_DYNAMIC_IMPORTS): Set<string> {
  const byName = new Map(chunks.map((c) => [c.fileName, c]));
  const required = new Set<string>();
  const stack = chunks.filter((c) => c.isEntry && !isOptionalRoot(c.facadeModuleId, roots)).map((c) => c.fileName);
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (required.has(name)) continue;
    const chunk = byName.get(name);
    if (!chunk) continue;
    required.add(name);
    stack.push(...chunk.imports);
    for (const d of chunk.dynamicImports) {
      const target = byName.get(d);
      if (target && !isOptionalRoot(target.facadeModuleId, roots)) stack.push(d);
    }
  }
  return new Set(chunks.map((c) => c.fileName).filter((n) => !required.has(n)));
}
