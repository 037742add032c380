#!/usr/bin/env bash
# Prepares everything a lent GPU machine needs to run the engine benchmarks under Node + Dawn (see README.md here):
# bundles the scripts into .devbench/a/b/c (the WebGPU backend reads ../../../shaders/*.wgsl next to itself), copies
# shaders/, packs Node and dawn.node, and downloads the Vulkan loader and GLVND/X11 client libraries into .gl/.
# Both folders are ignored (.git/info/exclude) and must be deleted before `npm test` (eslint would lint the bundles).
# Then, in one device call: `bash bench/device/run.sh` with carry [".devbench", ".gl"].
set -euo pipefail
cd "$(dirname "$0")/../.."
rm -rf .devbench .gl
mkdir -p .devbench/a/b/c .devbench/node_modules/webgpu/dist/linux-x64 .gl
grep -qx '/.devbench/' .git/info/exclude || echo '/.devbench/' >> .git/info/exclude
grep -qx '/.gl/' .git/info/exclude || echo '/.gl/' >> .git/info/exclude
bundle() { npx esbuild "$1" --bundle --platform=node --format=esm --external:webgpu --log-level=warning --outfile=".devbench/a/b/c/$2"; }
bundle bench/device/decode-gpu.ts decode.mjs
bundle bench/device/host-overhead.ts host-overhead.mjs
printf "import { main } from '../bench/multilora.ts';\nawait main();\nprocess.exit(0);\n" > .devbench/multilora-entry.ts
bundle .devbench/multilora-entry.ts multilora.mjs
rm .devbench/multilora-entry.ts
cp -r shaders .devbench/shaders
xz -T0 -c "$(command -v node)" > .devbench/node.xz
cp node_modules/webgpu/package.json node_modules/webgpu/index.js .devbench/node_modules/webgpu/ 2>/dev/null || cp -r node_modules/webgpu/*.js node_modules/webgpu/package.json .devbench/node_modules/webgpu/
xz -T0 -c node_modules/webgpu/dist/linux-x64/dawn.node > .devbench/node_modules/webgpu/dist/linux-x64/dawn.node.xz
(cd .gl && apt-get -oAPT::Architecture=amd64 download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 \
  libx11-6 libxext6 libxcb1 libxau6 libxdmcp6 libbsd0 libmd0 libx11-data >/dev/null)
du -sh .devbench .gl
