#!/usr/bin/env bash
# Refreshes the vendored query editor of the /sparql page (api/static/yasgui/) from a pinned @zazuko/yasgui
# release on npm. The app serves these files itself (api/routers/sparql.py): no CDN at run time, and
# `make serve` needs nothing but Python. Only maintainers run this; the files it writes are committed.
#
# Writes: yasgui.min.js and yasgui.min.css (the package's build, source-map comments dropped), VERSION,
# LICENSE (the package's own licence: its npm tarball ships no licence file, so the text is the one its
# package.json declares, with the holders it names), and THIRD-PARTY-NOTICES (every package the bundle
# includes, found from the bundle's own source map, with its version and licence file as npm resolves the
# package's dependencies today).
# Usage: bench/refresh_yasgui.sh   (needs npm, python3 and network to the npm registry; run from the checkout)
set -euo pipefail
VERSION="${YASGUI_VERSION:-4.6.2}"
here="$(cd "$(dirname "$0")/.." && pwd)"
out="$here/api/static/yasgui"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "@zazuko/yasgui@${VERSION}" >/dev/null && tar xzf "zazuko-yasgui-${VERSION}.tgz")
# the package with its dependencies (no install scripts run): the licence files of what the bundle includes
mkdir "$tmp/deps"
(cd "$tmp/deps" && echo '{"private": true}' > package.json \
  && npm install --silent --ignore-scripts --no-audit --no-fund "$tmp/zazuko-yasgui-${VERSION}.tgz" >/dev/null)
mkdir -p "$out"
# the source map's comment is dropped: the map (3.6 MB) is not vendored, and a browser's tools would ask for it
sed '$ s|//# sourceMappingURL=.*$||' "$tmp/package/build/yasgui.min.js" > "$out/yasgui.min.js"
sed '$ s|/\*# sourceMappingURL=.*\*/$||' "$tmp/package/build/yasgui.min.css" > "$out/yasgui.min.css"
echo "$VERSION" > "$out/VERSION"
python3 - "$tmp" "$out" <<'PY'
"""LICENSE from the package's metadata; THIRD-PARTY-NOTICES from the bundle's source map and node_modules."""
import json
import re
import sys
from pathlib import Path

tmp, out = Path(sys.argv[1]), Path(sys.argv[2])
meta = json.loads((tmp / "package" / "package.json").read_text())
if meta.get("license") != "MIT":
    sys.exit(f"@zazuko/yasgui declares the licence {meta.get('license')!r}, not MIT: check it, then this script")
holders = [meta["author"]] + [c["name"] if isinstance(c, dict) else c for c in meta.get("contributors", [])]
MIT = """Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in
all copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN
THE SOFTWARE.
"""
(out / "LICENSE").write_text(
    f"{meta['name']} {meta['version']} ({meta.get('homepage', '')})\n"
    f"Licence as the package declares it (package.json \"license\": \"MIT\"; the npm tarball ships no licence\n"
    f"file). Holders named by the package (author, contributors): {', '.join(holders)}.\n\n"
    f"The MIT License (MIT)\n\nCopyright (c) {', '.join(holders)}\n\n{MIT}"
)

sources = json.loads((tmp / "package" / "build" / "yasgui.min.js.map").read_text())["sources"]
bundled = sorted({re.findall(r"node_modules/((?:@[^/]+/)?[^/]+)", s)[-1] for s in sources if "node_modules/" in s})
modules = tmp / "deps" / "node_modules"
parts = [
    f"Third-party software in yasgui.min.js ({meta['name']} {meta['version']}), as its source map lists it\n"
    "(node_modules paths). Versions and licence texts are those npm resolves for the package's dependency\n"
    "ranges at refresh time; the bundle may have been built with other releases of the same ranges.\n"
]
for name in bundled:
    folder = next((p.parent for p in modules.glob(f"**/node_modules/{name}/package.json")), modules / name)
    if not (folder / "package.json").exists():
        folder = modules / name
    info = json.loads((folder / "package.json").read_text()) if (folder / "package.json").exists() else {}
    licence = info.get("license") or "(none declared in package.json; see its licence file)"
    files = sorted(p for p in folder.glob("*") if re.match(r"(?i)^(licen[cs]e|copying)", p.name) and p.is_file())
    text = "\n\n".join(p.read_text(errors="replace").strip() for p in files) or f"(no licence file; {licence})"
    parts.append(f"{'=' * 78}\n{name} {info.get('version', '(not installed)')} — {licence}\n{'=' * 78}\n\n{text}\n")
(out / "THIRD-PARTY-NOTICES").write_text("\n".join(parts))
print(f"{len(bundled)} bundled packages in THIRD-PARTY-NOTICES")
PY
echo "@zazuko/yasgui ${VERSION}: api/static/yasgui/ refreshed"
