"""What of a sample's full graph is public: all of it, or only its registry facts when the sample is private
or inactive (deactivated).

The full description of such a sample is kept in the history (registry database) only, never in the
public graph that SPARQL, OAI-PMH, search and the resolver read: a deactivated sample is a deleted record
for harvesters and a tombstone for the resolver, so SPARQL must not go on describing it either.
"""

from __future__ import annotations

from pyoxigraph import Triple

from .formats import graph as graphmap
from .iris import Iris

__all__ = ["public_view"]


def public_view(triples: list[Triple], iris: Iris, name: str) -> list[Triple]:
    facts = graphmap.facts_from_triples(triples, iris, name, datestamp="")  # facts_triples writes none
    if facts is None or (facts.is_public and facts.active):
        return triples
    return graphmap.facts_triples(facts, iris)
