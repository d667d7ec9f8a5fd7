#!/usr/bin/env bash
# Refreshes the offline map asset (mappings/world/world-110m.json) from a pinned world-atlas release on npm:
# Natural Earth 1:110m land and country boundaries (public domain), packaged as TopoJSON by world-atlas (ISC).
# Pages draw it as inline SVG (igsn_graph/maps.py): no tile server, no CDN, no runtime dependency.
# Also vendors axe-core's minified build (MPL-2.0) for the accessibility test of the pages
# (tests/api/test_pages_axe.py), which runs it in headless Chromium without network.
# Usage: bench/refresh_world_atlas.sh   (needs npm and network to the npm registry; run from the checkout)
set -euo pipefail
VERSION="${WORLD_ATLAS_VERSION:-2.0.2}"
AXE_VERSION="${AXE_CORE_VERSION:-4.14.1}"
here="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "world-atlas@${VERSION}" >/dev/null && tar xzf "world-atlas-${VERSION}.tgz")
python3 "$here/bench/world_atlas_convert.py" "$tmp/package/countries-110m.json" "$here/mappings/world/world-110m.json"
cp "$tmp/package/LICENSE" "$here/mappings/world/LICENSE.world-atlas"
echo "world-atlas ${VERSION}: mappings/world/ refreshed"
(cd "$tmp" && mkdir axe && npm pack --silent "axe-core@${AXE_VERSION}" >/dev/null \
  && tar xzf "axe-core-${AXE_VERSION}.tgz" -C axe)
mkdir -p "$here/tests/_vendor/axe-core"
cp "$tmp/axe/package/axe.min.js" "$tmp/axe/package/LICENSE" "$tmp/axe/package/LICENSE-3RD-PARTY.txt" \
  "$here/tests/_vendor/axe-core/"
echo "$AXE_VERSION" > "$here/tests/_vendor/axe-core/VERSION"
echo "axe-core ${AXE_VERSION}: tests/_vendor/axe-core/ refreshed"
