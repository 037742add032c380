import { describe, expect, it } from 'vitest';
import { isOptionalRoot, optionalChunks, type ChunkGraphNode } from './optionalChunks.ts';

const node = (fileName: string, o: Partial<ChunkGraphNode> = {}): ChunkGraphNode => ({
  fileName,
  isEntry: false,
  facadeModuleId: null,
  imports: [],
  dynamicImports: [],
  ...o,
});

const WC = '/repo/node_modules/@walletconnect/ethereum-provider/dist/index.es.js';

describe('optionalChunks', () => {
  it('leaves out what only a dynamic import of an optional library reaches, and keeps what the app shares with it', () => {
    const chunks = [
      node('index.js', { isEntry: true, imports: ['solid.js'], dynamicImports: ['ChatPage.js', 'WalletButton.js'] }),
      node('solid.js'),
      node('ChatPage.js', { facadeModuleId: '/repo/src/ui/pages/ChatPage.tsx', imports: ['viem.js'] }),
      node('WalletButton.js', { facadeModuleId: '/repo/src/ui/components/WalletButton.tsx', imports: ['viem.js'], dynamicImports: ['wc.js'] }),
      node('viem.js'),
      node('wc.js', { facadeModuleId: WC, imports: ['wc-core.js', 'viem.js'], dynamicImports: ['wc-modal.js'] }),
      node('wc-core.js'),
      node('wc-modal.js', { facadeModuleId: '/repo/node_modules/@reown/appkit/dist/modal.js', imports: ['icons.js'] }),
      node('icons.js'),
    ];
    expect([...optionalChunks(chunks)].sort()).toEqual(['icons.js', 'wc-core.js', 'wc-modal.js', 'wc.js']);
  });

  it('keeps an optional library that is also imported statically (it is then part of a required chunk)', () => {
    const chunks = [
      node('entry.js', { isEntry: true, imports: ['lib.js'], dynamicImports: ['wc.js'] }),
      node('lib.js', { imports: ['wc.js'] }),
      node('wc.js', { facadeModuleId: WC }),
    ];
    expect(optionalChunks(chunks).size).toBe(0);
  });

  it('recognises the optional roots by path (pdf.js wrapper, mammoth, WebLLM), and not their neighbours', () => {
    expect(isOptionalRoot('/r/src/ingest/pdfjs.ts')).toBe(true);
    expect(isOptionalRoot('/r/src/ingest/pdfjs.ts?worker_file&type=module')).toBe(true);
    expect(isOptionalRoot('/r/node_modules/mammoth/lib/index.js')).toBe(true);
    expect(isOptionalRoot('/r/node_modules/@mlc-ai/web-llm/lib/index.js')).toBe(true);
    expect(isOptionalRoot('/r/src/ingest/extractPdfText.ts')).toBe(false);
    expect(isOptionalRoot('/r/node_modules/@walletconnect/utils/dist/index.js')).toBe(false);
    expect(isOptionalRoot(null)).toBe(false);
  });
});
