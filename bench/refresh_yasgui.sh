#!/usr/bin/env bash
# Refreshes the vendored query editor of the /sparql page (api/static/yasgui/) from a pinned @zazuko/yasgui
# release on npm (MIT; the bundle includes Yasqe, Yasr and CodeMirror). The app serves these files itself
# (api/routers/sparql.py): no CDN at run time, and `make serve` needs nothing but Python. Only maintainers run
# this; the files it writes are committed.
# Usage: bench/refresh_yasgui.sh   (needs npm and network to the npm registry; run from the checkout)
set -euo pipefail
VERSION="${YASGUI_VERSION:-4.6.2}"
here="$(cd "$(dirname "$0")/.." && pwd)"
out="$here/api/static/yasgui"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "@zazuko/yasgui@${VERSION}" >/dev/null && tar xzf "zazuko-yasgui-${VERSION}.tgz")
mkdir -p "$out"
# the source map's comment is dropped: the map (3.6 MB) is not vendored, and a browser's tools would ask for it
sed '$ s|//# sourceMappingURL=.*$||' "$tmp/package/build/yasgui.min.js" > "$out/yasgui.min.js"
sed '$ s|/\*# sourceMappingURL=.*\*/$||' "$tmp/package/build/yasgui.min.css" > "$out/yasgui.min.css"
# the npm package carries no licence file; the project's (MIT) is at the root of its repository
curl -fsSL "https://raw.githubusercontent.com/rdfjs/Yasgui/v${VERSION}/LICENSE" -o "$out/LICENSE" \
  || curl -fsSL "https://raw.githubusercontent.com/rdfjs/Yasgui/main/LICENSE" -o "$out/LICENSE"
echo "$VERSION" > "$out/VERSION"
echo "@zazuko/yasgui ${VERSION}: api/static/yasgui/ refreshed"
