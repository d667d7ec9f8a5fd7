"""The example queries of the SPARQL page and the README, as data: ``mappings/sparql-examples/*.rq``.

Each file is one query whose first line is a ``#`` comment giving its title; they run on the demo data
(``tests/test_sparql_examples.py`` checks that each returns rows and that the README shows each one).
"""

from __future__ import annotations

from functools import lru_cache

from .resources import mappings_dir

__all__ = ["examples"]


@lru_cache(maxsize=1)
def examples() -> tuple[tuple[str, str], ...]:
    """(title, query) of every example, in file-name order."""
    out = []
    for path in sorted((mappings_dir() / "sparql-examples").glob("*.rq")):
        text = path.read_text(encoding="utf-8").strip()
        first = text.splitlines()[0]
        if not first.startswith("#"):
            raise ValueError(f"{path.name}: the first line must be a '# title' comment")
        out.append((first.lstrip("# ").strip(), text))
    return tuple(out)
