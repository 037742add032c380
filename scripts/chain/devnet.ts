/**
 * The local chain for development and e2e: anvil on 127.0.0.1 (port from ANVIL_PORT, default 8545, chain
 * id 31337), Tributary deployed by anvil's first dev account (deployer, treasury and root poster),
 * 1,000,000 tOPEN minted to each of the first 10 dev accounts, epoch roots posted automatically after
 * every pooled settlement.
 *
 * CLI: `npx tsx scripts/chain/devnet.ts [path/to/chain.json]` — writes the chain JSON there (the app
 * serves it as `/chain.json`), prints one line, runs until SIGINT/SIGTERM, then stops anvil.
 * API: `startDevnet(opts)` for `scripts/start.mjs` (through tsx) and e2e setup.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Deployment } from '../../src/node/chain/deploy.ts';
import { startLocalStack, TOKEN_UNIT } from '../../src/node/chain/localStack.ts';
import { startRootPoster, type PostedEpoch } from '../../src/chain/rootPoster.ts';
import type { Address } from '../../src/core/types.ts';

export interface DevnetOptions {
  /** anvil port (default: env ANVIL_PORT, else 8545). 0 = any free port. */
  port?: number;
  /** Where to write the chain JSON (optional). */
  outFile?: string;
  /** Dev accounts to fund (default 10). */
  accounts?: number;
  /** tOPEN minted to each (default 1,000,000 tOPEN). */
  mintEach?: bigint;
  /** Post epoch roots automatically (default true) every `rootIntervalMs` (default 1000) when something new was pooled. */
  autoPostRoots?: boolean;
  rootIntervalMs?: number;
  onRootPosted?: (p: PostedEpoch) => void;
}

/** What `/chain.json` holds (parse it with `parseChainConfig` from src/chain/chains.ts). */
export interface DevnetChainJson {
  chainId: number;
  name: string;
  rpcUrl: string;
  token: Address;
  registry: Address;
  settlement: Address;
  deployedAtBlock: number;
  treasury: Address;
}

export interface Devnet {
  deployment: Deployment;
  rpcUrl: string;
  chainJson: DevnetChainJson;
  stop(): Promise<void>;
}

export function devnetChainJson(deployment: Deployment, rpcUrl: string): DevnetChainJson {
  return {
    chainId: deployment.chainId,
    name: 'Local chain (anvil)',
    rpcUrl,
    token: deployment.token,
    registry: deployment.registry,
    settlement: deployment.settlement,
    deployedAtBlock: Number(deployment.deployedAtBlock),
    treasury: deployment.treasury,
  };
}

function defaultPort(): number {
  const raw = process.env.ANVIL_PORT;
  if (raw === undefined || raw === '') return 8545;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`ANVIL_PORT must be a port number (got ${raw})`);
  return port;
}

/** Starts anvil, deploys, funds the dev accounts, writes the chain JSON (if asked) and starts the root poster. */
export async function startDevnet(opts: DevnetOptions = {}): Promise<Devnet> {
  const port = opts.port ?? defaultPort();
  const stack = await startLocalStack({
    anvil: port === 0 ? { chainId: 31337 } : { port, chainId: 31337 },
    accounts: opts.accounts ?? 10,
    mintEach: opts.mintEach ?? 1_000_000n * TOKEN_UNIT,
  });
  const chainJson = devnetChainJson(stack.deployment, stack.anvil.rpcUrl);
  if (opts.outFile) {
    mkdirSync(dirname(resolve(opts.outFile)), { recursive: true });
    writeFileSync(opts.outFile, `${JSON.stringify(chainJson, null, 2)}\n`);
  }
  const poster =
    opts.autoPostRoots === false
      ? null
      : startRootPoster(stack.publicClient, stack.wallets[0]!, {
          settlement: stack.deployment.settlement,
          fromBlock: stack.deployment.deployedAtBlock,
          intervalMs: opts.rootIntervalMs ?? 1000,
          ...(opts.onRootPosted ? { onPost: opts.onRootPosted } : {}),
          onError: (e) => console.error('devnet root poster:', e instanceof Error ? e.message : e),
        });
  let stopped: Promise<void> | null = null;
  return {
    deployment: stack.deployment,
    rpcUrl: stack.anvil.rpcUrl,
    chainJson,
    stop: () =>
      (stopped ??= (async () => {
        await poster?.stop();
        await stack.stop();
      })()),
  };
}

async function cli(): Promise<void> {
  const outFile = process.argv.slice(2).find((a) => !a.startsWith('-'));
  const devnet = await startDevnet({
    ...(outFile ? { outFile } : {}),
    onRootPosted: (p) => console.log(`devnet: epoch ${p.epoch} root ${p.root} (${p.tree.entries.length} accounts, total ${p.total})`),
  });
  const d = devnet.deployment;
  console.log(
    `devnet: anvil ${devnet.rpcUrl} chain ${d.chainId} · token ${d.token} · registry ${d.registry} · settlement ${d.settlement}${outFile ? ` · wrote ${outFile}` : ''} (Ctrl+C to stop)`,
  );
  const shutdown = () => {
    devnet.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  cli().catch((e: unknown) => {
    console.error('devnet failed:', e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
