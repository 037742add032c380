/**
 * WGSL sources from `shaders/` by name (`'matmul'`, `'lib/weights_q4'`), one loader for every runtime:
 * - under Vite (the app, its workers, vitest) the files are bundled with `import.meta.glob(..., '?raw')`;
 * - under plain Node (a CLI run with tsx) they are read from disk next to this module.
 *
 * @example
 * const code = wgsl('lib/weights_q8') + wgsl('gemv');
 */
import type * as NodeFs from 'node:fs';
import { TributaryError } from '../../core/errors.ts';

const PREFIX = '../../../shaders/';

function bundled(): Record<string, string> | undefined {
  try {
    // Vite replaces this call with an object literal at build time; outside Vite it throws.
    const mods = import.meta.glob('../../../shaders/**/*.wgsl', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;
    const out: Record<string, string> = {};
    for (const [path, code] of Object.entries(mods)) out[shaderName(path)] = code;
    return out;
  } catch {
    return undefined;
  }
}

/** `'../../../shaders/lib/weights_q4.wgsl'` -> `'lib/weights_q4'` */
export function shaderName(path: string): string {
  const rel = path.startsWith(PREFIX) ? path.slice(PREFIX.length) : path;
  return rel.replace(/\.wgsl$/, '');
}

let sources: Record<string, string> | undefined;
const fromDisk = new Map<string, string>();

/** Reads `shaders/<name>.wgsl` from disk (plain Node only). */
export function readShaderFromDisk(name: string): string {
  const cached = fromDisk.get(name);
  if (cached !== undefined) return cached;
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const fs = proc?.getBuiltinModule?.('node:fs') as typeof NodeFs | undefined;
  if (!fs) throw new TributaryError('webgpu/error', `The WGSL shader "${name}" is not bundled and there is no file system to read it from.`);
  const url = new URL(`${PREFIX}${name}.wgsl`, import.meta.url);
  let code: string;
  try {
    code = fs.readFileSync(url, 'utf8');
  } catch {
    throw new TributaryError('webgpu/error', `The WGSL shader "${name}" is missing (looked for ${url.pathname}).`);
  }
  fromDisk.set(name, code);
  return code;
}

/** Names of the shaders bundled by Vite (empty outside Vite). */
export function bundledShaderNames(): string[] {
  sources ??= bundled() ?? {};
  return Object.keys(sources).sort();
}

/** The WGSL source of `shaders/<name>.wgsl`. */
export function wgsl(name: string): string {
  sources ??= bundled() ?? {};
  const code = sources[name];
  if (code !== undefined) return code;
  return readShaderFromDisk(name);
}
