"""Dumps in standard formats: a folder of files a user can load elsewhere, and ``restore`` reads back exactly.

A dump is a folder (served as a tar stream of the same files by ``GET /api/v1/admin/dump``):

* ``graph.nq.gz`` — the graph store's whole dataset as N-Quads: every sample's public graph, provenance
  graphs, the accounts graph (what SPARQL serves);
* ``history.nq.gz`` — every version of every sample as N-Quads (``registry.history_file``: one named graph per
  version, and a graph of the versions' registry columns and verbatim documents);
* ``accounts.jsonl.gz`` — agents, clients, namespaces and DOI prefixes (password hashes as stored: salted
  scrypt, never a secret in clear), as JSON lines (``registry.tables``);
* ``registry.jsonl.gz`` — the rest of the registry's own state: settings fixed at init, reservations
  (drafts), harvest sources and what each said of each sample;
* ``manifest.json`` — format and version, the journal position it was taken at, the counts of every part,
  the versions of the software that wrote it. Written last: a folder without it is no dump.

Taken from a snapshot (``registry.snapshot``): the running registry writes on while it is written. The
catalogue, search and relation indexes are not dumped (restore rebuilds them from graph and history), nor
the OAI-PMH document cache. A dump is read back and checked (every statement parsed, every count against
the manifest) before it takes its name; it is written as ``<target>.partial`` until then.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..iris import Iris
from .backup import read_manifest, software
from .graph_file import GraphFileBroken, count_quads, fsync, write_graph
from .history_file import read_history, write_history
from .new_folder import new_folder, write_manifest
from .snapshot import remove_stale, snapshot
from .tables import ACCOUNTS, REGISTRY, DumpBroken, read_tables, write_tables

__all__ = ["FORMAT", "VERSION", "PARTS", "DumpBroken", "dump", "check", "is_dump", "flat_counts"]

FORMAT = "igsn-graph-dump"
#: 3: a folder of N-Quads and JSON lines files (1-2: one file of JSON lines, read by ``dump_v2``)
VERSION = 3
GRAPH, HISTORY, ACCOUNTS_FILE, REGISTRY_FILE, MANIFEST = (
    "graph.nq.gz",
    "history.nq.gz",
    "accounts.jsonl.gz",
    "registry.jsonl.gz",
    "manifest.json",
)
#: the files of a dump, in the order a tar stream carries them (the manifest last: it says the rest is there)
PARTS = (ACCOUNTS_FILE, REGISTRY_FILE, HISTORY, GRAPH, MANIFEST)


def is_dump(path: Path) -> bool:
    manifest = read_manifest(path) if Path(path).is_dir() else None
    return manifest is not None and manifest.get("format") == FORMAT


def flat_counts(parts: dict[str, dict[str, int]]) -> dict[str, int]:
    """Counts per part as one mapping: rows per table, ``versions``, ``history_quads``, ``quads`` (the graph)."""
    out = {**parts.get(ACCOUNTS_FILE, {}), **parts.get(REGISTRY_FILE, {})}
    out["versions"] = parts.get(HISTORY, {}).get("versions", 0)
    out["history_quads"] = parts.get(HISTORY, {}).get("quads", 0)
    out["quads"] = parts.get(GRAPH, {}).get("quads", 0)
    return out


def dump(registry: Any, target: Path) -> dict[str, int]:
    """Writes a dump of the (running) registry into the new folder ``target``, reads it back and checks it;
    returns counts per part. ``DumpBroken`` when the read-back differs (and nothing is left at ``target``)."""
    with new_folder(target, "dump") as partial:
        remove_stale(registry.settings.data_dir)
        started = datetime.now(timezone.utc)
        with snapshot(registry) as snap:
            parts: dict[str, dict[str, int]] = {
                ACCOUNTS_FILE: write_tables(snap.db, ACCOUNTS, partial / ACCOUNTS_FILE),
                REGISTRY_FILE: write_tables(snap.db, REGISTRY, partial / REGISTRY_FILE),
            }
            versions, quads = write_history(snap.db, registry.iris, partial / HISTORY)
            parts[HISTORY] = {"versions": versions, "quads": quads}
            parts[GRAPH] = {"quads": write_graph(snap.store.dump_nquads(), partial / GRAPH)}
            position = snap.position
        for name in (ACCOUNTS_FILE, REGISTRY_FILE, HISTORY):
            fsync(partial / name)
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "created": started.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "journal": position,
            "iri_base": registry.iris.base,
            "software": software(),
            "parts": parts,
        }
        read_back = check(partial, manifest)
        if read_back != flat_counts(parts):
            raise DumpBroken(f"the dump read back holds {read_back}, not the {flat_counts(parts)} written")
        write_manifest(partial, MANIFEST, manifest)
    return flat_counts(parts)


def check(path: Path, manifest: dict[str, Any] | None = None) -> dict[str, int]:
    """Reads a whole dump folder and checks every part (rows read, statements parsed, counts against the
    manifest); returns counts per part. ``DumpBroken`` otherwise."""
    path = Path(path)
    if manifest is None:
        manifest = read_manifest(path)
        if manifest is None:
            raise DumpBroken(f"{path} is no dump, or one cut short: it has no {MANIFEST}")
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise DumpBroken(f"{path} is not an igsn-graph dump of version {VERSION} (or one of a later version)")
    missing = [name for name in PARTS[:-1] if not (path / name).is_file()]
    if missing:
        raise DumpBroken(f"{path} is incomplete: {', '.join(missing)} missing")
    base = manifest.get("iri_base")
    if not isinstance(base, str):
        raise DumpBroken(f"{path}: the manifest names no IRI base")
    parts: dict[str, dict[str, int]] = {
        ACCOUNTS_FILE: read_tables(path / ACCOUNTS_FILE, ACCOUNTS),
        REGISTRY_FILE: read_tables(path / REGISTRY_FILE, REGISTRY),
    }
    versions, quads = read_history(path / HISTORY, Iris(base))
    parts[HISTORY] = {"versions": versions, "quads": quads}
    try:
        parts[GRAPH] = {"quads": count_quads(path / GRAPH)}
    except GraphFileBroken as exc:
        raise DumpBroken(exc.message) from None
    counts, expected = flat_counts(parts), flat_counts(manifest.get("parts", {}))
    if counts != expected:
        differs = {k: (counts.get(k), expected.get(k)) for k in counts.keys() | expected.keys()}
        differs = {k: v for k, v in differs.items() if v[0] != v[1]}
        raise DumpBroken(f"{path} is incomplete: it holds {differs} (read, in the manifest)")
    return counts
