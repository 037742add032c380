import { existsSync, mkdtempSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Debian's chromium ships SwiftShader's Vulkan ICD here (docs: MACHINE-FACTS). */
export const SWIFTSHADER_ICD = process.env.TRIBUTARY_VK_ICD ?? '/usr/lib/chromium/vk_swiftshader_icd.json';

export const hasSwiftShader = existsSync(SWIFTSHADER_ICD);

export const SKIP_MESSAGE = `GPU parity tests skipped: ${SWIFTSHADER_ICD} is missing (install Debian's chromium: apt-get install -y chromium libvulkan1).`;

/**
 * Sets what Dawn needs to find SwiftShader: VK_ICD_FILENAMES and a private (0700) XDG_RUNTIME_DIR.
 * Idempotent; the global setup calls it before the test processes start, and each test file again in
 * case it runs on its own.
 */
export function ensureGpuEnv(): void {
  if (!hasSwiftShader) return;
  process.env.VK_ICD_FILENAMES ??= SWIFTSHADER_ICD;
  if (!process.env.XDG_RUNTIME_DIR || !existsSync(process.env.XDG_RUNTIME_DIR)) {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-xdg-'));
    chmodSync(dir, 0o700);
    process.env.XDG_RUNTIME_DIR = dir;
  }
}

/**
 * Mesa's lavapipe from bookworm-backports (Mesa 25), fetched into .tmp/lavapipe by scripts/fetch-lavapipe.sh (.ci/run
 * does): the one software Vulkan driver here that Dawn accepts with `shader-f16`, so the f16 arithmetic kernels are
 * tested on it. Debian bookworm's own lavapipe (Mesa 22.3) is refused by Dawn.
 */
export const LAVAPIPE_ICD = process.env.TRIBUTARY_LAVAPIPE_ICD ?? join(process.cwd(), '.tmp/lavapipe/lvp_icd.json');

export const hasLavapipe = existsSync(LAVAPIPE_ICD);

export const LAVAPIPE_SKIP_MESSAGE = `f16 arithmetic tests skipped: ${LAVAPIPE_ICD} is missing (run scripts/fetch-lavapipe.sh, as .ci/run does).`;
