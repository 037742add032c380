import { defineConfig } from 'vite';
import solid from 'vite-plugin-solid';
import { VitePWA } from 'vite-plugin-pwa';

export default defineConfig({
  plugins: [
    solid(),
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
        maximumFileSizeToCacheInBytes: 16 * 1024 * 1024,
        // The optional WebLLM engine (~6 MB) is not precached: it needs the network for its models anyway.
        globIgnores: ['**/webllm-*.js'],
        navigateFallback: 'index.html',
      },
    }),
  ],
  worker: {
    format: 'es',
    rollupOptions: {
      output: {
        // A recognisable name for the WebLLM chunk, so the service worker can leave it out.
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
