"""The string value of an RDF term, for code that reads subjects and objects of our graphs.

pyoxigraph types a subject or object as possibly an RDF 1.2 triple term, which has no single value. Triple
terms never stand as subjects (RDF 1.2 allows them only as objects) and the graphs the registry writes hold
none, so a triple term reaching this function is a bug; it is refused by name instead of failing later with
an ``AttributeError`` somewhere down the line.
"""

from __future__ import annotations

from pyoxigraph import BlankNode, Literal, NamedNode, Triple

__all__ = ["term_value"]


def term_value(term: NamedNode | BlankNode | Literal | Triple) -> str:
    """The IRI, blank-node identifier or lexical form of ``term``; ``TypeError`` for a triple term."""
    if isinstance(term, Triple):
        raise TypeError(f"a triple term has no single value: {term}")
    return term.value
