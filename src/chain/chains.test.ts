import { describe, expect, it } from 'vitest';
import { anvilDevAccounts, ANVIL_MNEMONIC } from './devAccounts.ts';
import { explorerTxUrl, isLocalChain, localChainConfig, openLedgerTestnetConfig, parseChainConfig, toViemChain } from './chains.ts';

const addrs = {
  token: '0x5fbdb2315678afecb367f032d93f642f64180aa3',
  registry: '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512',
  settlement: '0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0',
} as const;

describe('chain configs', () => {
  it('parses the devnet JSON (checksums addresses, block number as bigint)', () => {
    const c = parseChainConfig({ chainId: 31337, rpcUrl: 'http://127.0.0.1:8545', ...addrs, deployedAtBlock: 1, treasury: anvilDevAccounts(1)[0]!.address });
    expect(c).toMatchObject({ chainId: 31337, name: 'Local chain (anvil)', token: '0x5FbDB2315678afecb367f032d93F642f64180aa3', deployedAtBlock: 1n });
    expect(isLocalChain(c.chainId)).toBe(true);
    expect(parseChainConfig({ ...c, deployedAtBlock: '12' }).deployedAtBlock).toBe(12n);
  });

  it('names the bad field', () => {
    const good = { chainId: 5, rpcUrl: 'https://rpc.example', ...addrs };
    for (const [bad, field] of [
      [{ ...good, chainId: 0 }, 'chainId'],
      [{ ...good, chainId: 1.5 }, 'chainId'],
      [{ ...good, rpcUrl: 'not a url' }, 'rpcUrl'],
      [{ ...good, rpcUrl: 'file:///etc/passwd' }, 'rpcUrl'],
      [{ ...good, token: '0x123' }, 'token'],
      [{ ...good, settlement: undefined }, 'settlement'],
      [{ ...good, deployedAtBlock: -1 }, 'deployedAtBlock'],
      [{ ...good, explorer: 'nope' }, 'explorer'],
    ] as const) {
      expect(() => parseChainConfig(bad)).toThrow(expect.objectContaining({ code: 'chain/config', subject: `chain config ${field}` }));
    }
    expect(() => parseChainConfig(null)).toThrow(expect.objectContaining({ code: 'chain/config' }));
  });

  it('local, OpenLedger testnet and any chain', () => {
    expect(localChainConfig(addrs)).toMatchObject({ chainId: 31337, rpcUrl: 'http://127.0.0.1:8545' });
    const ol = openLedgerTestnetConfig({ rpcUrl: 'https://rpc.testnet.example', ...addrs, explorer: 'https://scan.example/' });
    expect(ol).toMatchObject({ chainId: 161201, name: 'OpenLedger testnet', nativeCurrency: { symbol: 'OPEN' } });
    expect(explorerTxUrl(ol, '0xabc')).toBe('https://scan.example/tx/0xabc');
    expect(explorerTxUrl(localChainConfig(addrs), '0xabc')).toBeUndefined();
    const chain = toViemChain(ol);
    expect(chain).toMatchObject({ id: 161201, rpcUrls: { default: { http: ['https://rpc.testnet.example'] } }, blockExplorers: { default: { url: 'https://scan.example/' } } });
    expect(parseChainConfig({ chainId: 8453, rpcUrl: 'wss://base.example', ...addrs }).name).toBe('Chain 8453');
  });

  it('dev accounts are anvil/Hardhat defaults', () => {
    expect(ANVIL_MNEMONIC.split(' ')).toHaveLength(12);
    const [a0, a1] = anvilDevAccounts(2);
    expect(a0).toMatchObject({ index: 0, address: '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266', privateKey: '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80' });
    expect(a1!.address).toBe('0x70997970C51812dc3A010C7d01b50e0d17dc79C8');
  });
});
