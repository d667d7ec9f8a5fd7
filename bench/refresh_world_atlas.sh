#!/usr/bin/env bash
# Refreshes the offline map asset (mappings/world/world-110m.json) from a pinned world-atlas release on npm:
# Natural Earth 1:110m land and country boundaries (public domain), packaged as TopoJSON by world-atlas (ISC).
# Pages draw it as inline SVG (igsn_graph/maps.py): no tile server, no CDN, no runtime dependency.
# Usage: bench/refresh_world_atlas.sh   (needs npm and network to the npm registry; run from the checkout)
set -euo pipefail
VERSION="${WORLD_ATLAS_VERSION:-2.0.2}"
here="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "world-atlas@${VERSION}" >/dev/null && tar xzf "world-atlas-${VERSION}.tgz")
python3 "$here/bench/world_atlas_convert.py" "$tmp/package/countries-110m.json" "$here/mappings/world/world-110m.json"
cp "$tmp/package/LICENSE" "$here/mappings/world/LICENSE.world-atlas"
echo "world-atlas ${VERSION}: mappings/world/ refreshed"
