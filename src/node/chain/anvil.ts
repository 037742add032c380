/**
 * Starts a real local EVM (anvil from npm `@foundry-rs/anvil`) for tests, benchmarks and the devnet.
 * Node only (child processes, sockets): never import it from browser code.
 *
 * @example
 * const anvil = await startAnvil();
 * const client = createPublicClient({ transport: http(anvil.rpcUrl) });
 * await anvil.stop();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';

export interface AnvilOptions {
  /** Port on 127.0.0.1; a free one is chosen when omitted. */
  port?: number;
  /** Chain id (default 31337). */
  chainId?: number;
  /** Block gas limit (anvil's default 30M when omitted). */
  gasLimit?: bigint;
  /** Seconds between blocks; omitted = a block per transaction (automine). */
  blockTime?: number;
  /** Number of funded dev accounts from the standard test mnemonic (anvil's default 10). */
  accounts?: number;
  /** Extra command-line arguments. */
  args?: string[];
  /** Milliseconds to wait for the RPC to answer (default 20 s). */
  startTimeoutMs?: number;
}

export interface AnvilInstance {
  rpcUrl: string;
  port: number;
  chainId: number;
  stop(): Promise<void>;
}

const require = createRequire(import.meta.url);

/** Path of the anvil executable shipped by the npm platform package for this machine. */
export function anvilBinaryPath(): string {
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  const pkg = `@foundry-rs/anvil-${process.platform}-${arch}`;
  let dir: string;
  try {
    dir = dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    throw new Error(`anvil is not installed for ${process.platform}/${process.arch}: npm install ${pkg}`);
  }
  const bin = join(dir, 'bin', process.platform === 'win32' ? 'anvil.exe' : 'anvil');
  if (!existsSync(bin)) throw new Error(`anvil binary missing at ${bin}: reinstall ${pkg}`);
  return bin;
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

/** True when nothing listens on 127.0.0.1:`port`. */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function rpcAnswers(rpcUrl: string): Promise<boolean> {
  try {
    const res = await fetch(rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
    });
    return res.ok;
  } catch {
    return false;
  }
}

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

async function startOnce(port: number, opts: AnvilOptions): Promise<AnvilInstance> {
  // Otherwise another node already on the port would answer our health check.
  if (!(await portIsFree(port))) throw new Error(`cannot start anvil: port ${port} on 127.0.0.1 is already in use (set another port, e.g. ANVIL_PORT)`);
  const chainId = opts.chainId ?? 31337;
  const args = ['--host', '127.0.0.1', '--port', String(port), '--chain-id', String(chainId), '--silent'];
  if (opts.gasLimit !== undefined) args.push('--gas-limit', opts.gasLimit.toString());
  if (opts.blockTime !== undefined) args.push('--block-time', String(opts.blockTime));
  if (opts.accounts !== undefined) args.push('--accounts', String(opts.accounts));
  args.push(...(opts.args ?? []));

  const child = spawn(anvilBinaryPath(), args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const rpcUrl = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    if (!(await waitExit(child, 3000))) {
      child.kill('SIGKILL');
      await waitExit(child, 3000);
    }
  };

  const deadline = Date.now() + (opts.startTimeoutMs ?? 20_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`anvil exited with code ${child.exitCode}: ${stderr.trim()}`);
    if (await rpcAnswers(rpcUrl)) return { rpcUrl, port, chainId, stop };
    await new Promise((r) => setTimeout(r, 50));
  }
  await stop();
  throw new Error(`anvil did not answer on ${rpcUrl} within ${opts.startTimeoutMs ?? 20_000} ms: ${stderr.trim()}`);
}

/**
 * Spawns anvil on 127.0.0.1 (`--silent`) and resolves once its JSON-RPC answers.
 * Without `port`, picks a free port (and retries on a lost race for it).
 */
export async function startAnvil(opts: AnvilOptions = {}): Promise<AnvilInstance> {
  if (opts.port !== undefined) return startOnce(opts.port, opts);
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(await freePort(), opts);
    } catch (e) {
      lastError = e;
    }
  }
  throw lastError;
}
