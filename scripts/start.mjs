// `npm start`: build the app (demo packs included), start the local chain (anvil from npm, contracts
// deployed, 1,000,000 tOPEN for each of anvil's 10 dev accounts), write dist/chain.json (the app reads it
// as /chain.json), serve the app on 127.0.0.1 and print the URL and the chain's RPC. Ctrl+C / SIGTERM stops
// the server and anvil.
//
// Flags and environment:
//   --no-build             serve the existing dist/
//   --no-chain             do not start the local chain (the app then says so on the Ledger page)
//   PORT=4173              the app's port
//   ANVIL_PORT=8545        the chain's port (0 = any free port)
//   TRIBUTARY_AUTO_ROOTS=1 post epoch roots automatically (default: by hand, "Post epoch root" on the Ledger page)
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tsImport } from 'tsx/esm/api';
import { serveStatic } from './serve.mjs';

const port = Number(process.env.PORT ?? 4173);
const withChain = !process.argv.includes('--no-chain');

if (!process.argv.includes('--no-build')) {
  const build = spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

/** @type {{ rpcUrl: string; deployment: Record<string, unknown>; stop(): Promise<void> } | undefined} */
let devnet;
if (withChain) {
  try {
    /** @type {{ startDevnet: (opts: Record<string, unknown>) => Promise<NonNullable<typeof devnet>> }} */
    const mod = await tsImport('./chain/devnet.ts', import.meta.url);
    devnet = await mod.startDevnet({
      outFile: 'dist/chain.json',
      autoPostRoots: process.env.TRIBUTARY_AUTO_ROOTS === '1',
    });
  } catch (e) {
    console.error(
      `\n  Could not start the local chain: ${e instanceof Error ? e.message : String(e)}\n` +
        `  Is port ${process.env.ANVIL_PORT || 8545} in use? Set ANVIL_PORT to another port (or 0), or run with --no-chain.\n`,
    );
    process.exit(1);
  }
} else {
  rmSync('dist/chain.json', { force: true });
}

let server;
let url;
try {
  ({ server, url } = await serveStatic({ root: 'dist', port }));
} catch (e) {
  console.error(`\n  Could not serve the app on port ${port}: ${e instanceof Error ? e.message : String(e)}. Set PORT to another port.\n`);
  await devnet?.stop();
  process.exit(1);
}

console.log(`\n  Tributary is running at ${url}`);
if (devnet) {
  const d = devnet.deployment;
  console.log(`  Local chain (anvil, chain id 31337) RPC: ${devnet.rpcUrl}`);
  console.log(`  Contracts: token ${d.token} · registry ${d.registry} · settlement ${d.settlement}`);
  console.log('  Wallet: "Connect wallet" → "Dev wallet (local chain only)" uses anvil\'s public dev keys (1,000,000 tOPEN each).');
} else {
  console.log('  No local chain (--no-chain): pick a chain in Settings → Wallet and chain.');
}
console.log('  (Ctrl+C to stop)\n');

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  server.close();
  server.closeAllConnections?.();
  Promise.resolve(devnet?.stop()).then(
    () => process.exit(0),
    (e) => {
      console.error('stopping the local chain failed:', e);
      process.exit(1);
    },
  );
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
