"""The agents' own code-list terms (``mappings/codelists/agent_terms.csv``) → the notation in our list.

CSIRO v3, ARDC descriptive 1.0 and CSIRO v2 write some vocabulary values as their own IRIs or words
(Geoscience Australia's ``…/ga/igsncode/IsMemberOf``, ``…/igsn-codelists/PhysicalSample``, v2's ``Line``).
Each row of the table names the list (a code list of ``codelists.CODELISTS``, ``relation_type`` for a
DataCite relation type name, ``kind`` for ``Sample``/``Collection``/``Feature``) and our notation in it, so
a reader translates the agent's term first and canonicalises it through our list as for any kernel.
"""

from __future__ import annotations

import csv
from functools import lru_cache
from typing import Mapping

from ..resources import mappings_dir

__all__ = ["LISTS", "agent_terms", "agent_term"]

#: the lists a row may name besides the code lists: DataCite relation types and record kinds
LISTS = ("relation_type", "kind")


@lru_cache(maxsize=None)
def agent_terms(list_name: str) -> Mapping[str, str]:
    """Written term → our notation, for the rows of one list."""
    with open(mappings_dir() / "codelists" / "agent_terms.csv", encoding="utf-8", newline="") as f:
        return {row["written"]: row["notation"] for row in csv.DictReader(f) if row["list"] == list_name}


def agent_term(list_name: str, written: str | None) -> str | None:
    """Our notation for an agent's term; any other value stripped and otherwise as written (None stays None)."""
    if written is None:
        return None
    value = written.strip()
    return agent_terms(list_name).get(value, value)
