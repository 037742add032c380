import { describe, expect, it } from 'vitest';
import { randomAdapter, randomConfig } from '../model/randomModel.ts';
import { fetchPeftAdapter, importPeftFiles, type NamedBlob } from './importPeft.ts';
import { createPeftAdapter, writePeftAdapter } from './peft.ts';

const config = randomConfig();
const adapter = createPeftAdapter(randomAdapter(config, { seed: 1, rank: 2, targets: ['q', 'v'] }), config, { name: 'x' });
const files = writePeftAdapter(adapter);
const blob = (name: string, bytes: Uint8Array, rel?: string): NamedBlob & { webkitRelativePath?: string } => ({
  name,
  ...(rel ? { webkitRelativePath: rel } : {}),
  arrayBuffer: () => Promise.resolve(bytes.slice().buffer),
});

describe('importing PEFT adapters', () => {
  it('from picked files (a folder, other files ignored)', async () => {
    const picked = [
      blob('README.md', new Uint8Array(3)),
      blob('adapter_config.json', files['adapter_config.json'], 'legal-qa/adapter_config.json'),
      blob('adapter_model.safetensors', files['adapter_model.safetensors'], 'legal-qa/adapter_model.safetensors'),
    ];
    const a = await importPeftFiles(picked, config);
    expect(a.meta.id).toBe(adapter.meta.id);
    expect(a.meta.name).toBe('legal-qa');
    expect((await importPeftFiles(picked, config, { name: 'mine' })).meta.name).toBe('mine');
    await expect(importPeftFiles(picked.slice(0, 2), config)).rejects.toMatchObject({ code: 'lora/config', message: expect.stringMatching(/adapter_model\.safetensors is missing/) });
  });

  it('from a URL folder, with clear errors for HTTP failures', async () => {
    const served: typeof fetch = (input) => {
      const url = String(input);
      const name = url.slice(url.lastIndexOf('/') + 1) as keyof typeof files;
      const body = files[name];
      return Promise.resolve(body ? new Response(body.slice()) : new Response('no', { status: 404, statusText: 'Not Found' }));
    };
    const a = await fetchPeftAdapter('https://hub.example/user/legal-lora/resolve/main/', config, {}, { fetch: served });
    expect(a.meta).toMatchObject({ id: adapter.meta.id, name: 'legal-lora', rank: 2 });
    const missing: typeof fetch = () => Promise.resolve(new Response('no', { status: 404, statusText: 'Not Found' }));
    await expect(fetchPeftAdapter('https://hub.example/x', config, {}, { fetch: missing })).rejects.toMatchObject({ code: 'model/fetch', message: expect.stringMatching(/404/) });
    const down: typeof fetch = () => Promise.reject(new TypeError('network down'));
    await expect(fetchPeftAdapter('https://hub.example/x', config, {}, { fetch: down })).rejects.toThrow(/network down/);
  });
});
