#!/usr/bin/env bash
# Bundles entry points for the GPU machine into .device/bundle/ (after ../shared/device/pack.sh has
# put node and koffi in .device/). koffi stays external (pack.sh ships its native build) and so does
# sharp, which core loads only to decode images, never on the device runs. Source maps are inline
# without the sources themselves (stack traces still name file and line): the working tree and
# .device/ travel together under 64 MiB.
#   tools/device/bundle.sh packages/xpu-backend/test/device/check.ts tools/bench/xpu_predictor.ts
set -euo pipefail
root=$(git rev-parse --show-toplevel)
mkdir -p "$root/.device/bundle"
for entry in "$@"; do
  name=$(basename "${entry%.*}")
  "$root/node_modules/.bin/esbuild" "$entry" --bundle --platform=node --target=node20 --format=cjs \
    --external:koffi --external:sharp --sourcemap=inline --sources-content=false --log-level=warning --outfile="$root/.device/bundle/$name.js"
done
du -sh "$root/.device" | awk '{print "bundle.sh: .device/ is " $1}'
