import { defineConfig } from 'vitest/config';

// GPU parity tests: every WGSL kernel against its CPU twin on real WebGPU (Dawn from the `webgpu` package
// over SwiftShader, the software Vulkan driver Debian's chromium ships). The global setup sets
// VK_ICD_FILENAMES and a private XDG_RUNTIME_DIR; without /usr/lib/chromium/vk_swiftshader_icd.json the
// suites are skipped with a message saying so.
export default defineConfig({
  test: {
    include: ['tests/gpu/**/*.gpu.test.ts'],
    environment: 'node',
    globalSetup: ['tests/gpu/globalSetup.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    fileParallelism: false,
    pool: 'forks',
  },
});
