#!/usr/bin/env bash
# Runs on the lent GPU machine (prepared by prepare.sh; carry .devbench and .gl): installs the libraries, unpacks
# Node and dawn.node, and runs the engine benchmarks on the NVIDIA GPU through Vulkan. Results go to $OUT.
# BENCHES="decode host-overhead multilora" by default.
set -uo pipefail
for f in .gl/*.deb; do dpkg -x "$f" / ; done
ldconfig
cd .devbench
xz -dc node.xz > node && chmod +x node
xz -dc node_modules/webgpu/dist/linux-x64/dawn.node.xz > node_modules/webgpu/dist/linux-x64/dawn.node
export VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json}
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee "$OUT/gpu.txt" || true
for b in ${BENCHES:-decode host-overhead multilora}; do
  echo "== $b"
  case $b in
    decode) OUTFILE="$OUT/decode-gpu.json" ./node a/b/c/decode.mjs ;;
    host-overhead) ./node a/b/c/host-overhead.mjs | tee "$OUT/host-overhead.jsonl" ;;
    multilora) (cd a/b/c && BENCH_RESULTS_DIR="$OUT" ../../../node multilora.mjs) ;;
  esac
done
