#!/usr/bin/env bash
# Fetches Mesa's lavapipe (a software Vulkan driver) from Debian bookworm-backports (Mesa 25) into .tmp/lavapipe,
# without installing it system-wide (that would also upgrade the GL drivers Chromium uses). Dawn accepts it and it
# offers `shader-f16`, which SwiftShader and bookworm's own Mesa 22.3 lavapipe do not: the GPU tests of the f16
# arithmetic kernels run on it (tests/gpu/env.ts looks for .tmp/lavapipe/lvp_icd.json; without it they are skipped
# with a message). Run by .ci/run; a system package from the Debian archive, extracted with dpkg -x.
set -euo pipefail
cd "$(dirname "$0")/.."
dest="$PWD/.tmp/lavapipe"
[ -f "$dest/lvp_icd.json" ] && exit 0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$dest"
printf 'deb http://deb.debian.org/debian bookworm-backports main\n' > "$work/sources.list"
apt_opts=(-o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/dev/null -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o APT::Sandbox::User=root -qq)
apt-get "${apt_opts[@]}" update
(cd "$work" && apt-get "${apt_opts[@]}" download mesa-vulkan-drivers/bookworm-backports)
dpkg -x "$work"/mesa-vulkan-drivers_*.deb "$work/x"
lib=$(find "$work/x" -name libvulkan_lvp.so | head -1)
cp "$lib" "$dest/libvulkan_lvp.so"
printf '{"file_format_version":"1.0.0","ICD":{"api_version":"1.3.0","library_path":"%s"}}\n' "$dest/libvulkan_lvp.so" > "$dest/lvp_icd.json"
echo "lavapipe: $(basename "$work"/mesa-vulkan-drivers_*.deb) -> $dest"
