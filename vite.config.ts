import { defineConfig, type Plugin } from 'vite';
import solid from 'vite-plugin-solid';
import { VitePWA } from 'vite-plugin-pwa';
import { precompressDir } from './scripts/precompress.mjs';
import { OPTIONAL_ASSETS, optionalChunks, type ChunkGraphNode } from './scripts/lib/optionalChunks.ts';

/** Chunks (of the page build and of every worker build) that only optional features load; see scripts/lib/optionalChunks.ts. */
const optional = new Set<string>();

/** Notes the optional chunks of a build (the page's, and each worker's: they are separate builds). */
function findOptionalChunks(): Plugin {
  return {
    name: 'tributary:optional-chunks',
    generateBundle(_options, bundle) {
      const chunks: ChunkGraphNode[] = [];
      for (const out of Object.values(bundle)) {
        if (out.type === 'chunk') chunks.push(out);
        else if (OPTIONAL_ASSETS.some((r) => r.test(out.fileName))) optional.add(out.fileName);
      }
      for (const name of optionalChunks(chunks)) optional.add(name);
    },
  };
}

/** Writes .br and .gz beside each compressible file of the output, after everything else (the service worker too). */
function precompress(): Plugin {
  let outDir = 'dist';
  return {
    name: 'tributary:precompress',
    apply: 'build',
    enforce: 'post',
    configResolved(config) {
      outDir = config.build.outDir;
    },
    closeBundle: {
      sequential: true,
      order: 'post',
      async handler() {
        const started = performance.now();
        const files = await precompressDir(outDir);
        const compressed = files.filter((f) => f.br !== undefined || f.gzip !== undefined);
        const seconds = ((performance.now() - started) / 1000).toFixed(1);
        this.info(`precompressed ${compressed.length} of ${files.length} compressible files in ${seconds} s (.br and .gz beside each)`);
      },
    },
  };
}

export default defineConfig({
  plugins: [
    solid(),
    findOptionalChunks(),
    VitePWA({
      registerType: 'autoUpdate',
      injectRegister: false, // registered in src/ui/pwa.ts so the UI can show offline readiness
      includeAssets: ['icons/*.png', 'icons/*.svg', 'demo/*'],
      manifest: {
        name: 'Tributary',
        short_name: 'Tributary',
        description: 'Every AI answer gets a receipt: Datanets, attribution and payouts, in your browser.',
        theme_color: '#0f766e',
        background_color: '#0b1214',
        display: 'standalone',
        start_url: '/',
        scope: '/',
        icons: [
          { src: 'icons/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: 'icons/icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: 'icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
      workbox: {
        // The demo model's weights are precached too, so chat works offline right after install.
        globPatterns: ['**/*.{js,mjs,css,html,svg,png,ico,webmanifest,json,zip,wasm,safetensors}'],
        // .br/.gz copies are for the server to send; the service worker caches what the browser decoded
        globIgnores: ['**/*.br', '**/*.gz'],
        maximumFileSizeToCacheInBytes: 16 * 1024 * 1024,
        // Optional chunks (WalletConnect, WebLLM, pdf.js, mammoth) are not precached: most people never load them.
        // They are cached the first time they are used (runtimeCaching below), and work offline from then on.
        manifestTransforms: [
          (entries) => {
            const seen = new Set<string>(); // includeAssets and globPatterns both find the demo packs
            return { manifest: entries.filter((e) => !optional.has(e.url.replace(/^\//, '')) && !seen.has(e.url) && seen.add(e.url)), warnings: [] };
          },
        ],
        runtimeCaching: [
          {
            // hashed file names never change, so the first copy is good for ever
            urlPattern: ({ url, sameOrigin }) => sameOrigin && /\/assets\/[^/]+\.(?:js|mjs|css|wasm)$/.test(url.pathname),
            handler: 'CacheFirst',
            options: {
              cacheName: 'tributary-optional-chunks',
              expiration: { maxEntries: 200, purgeOnQuotaError: true },
              cacheableResponse: { statuses: [200] },
            },
          },
        ],
        navigateFallback: 'index.html',
      },
    }),
    precompress(),
  ],
  worker: {
    format: 'es',
    plugins: () => [findOptionalChunks()],
    rollupOptions: {
      output: {
        // A recognisable name for the WebLLM chunk (it is optional: see findOptionalChunks).
        chunkFileNames: (chunk) =>
          chunk.moduleIds.some((id) => id.includes('@mlc-ai/web-llm')) ? 'assets/webllm-[hash].js' : 'assets/[name]-[hash].js',
      },
    },
  },
  build: { target: 'es2022', sourcemap: true },
  // cross-origin isolation (SharedArrayBuffer → CPU engine threads), as scripts/serve.mjs does for `npm start`
  server: { host: '127.0.0.1', headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'credentialless' } },
  preview: { host: '127.0.0.1', headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'credentialless' } },
});
