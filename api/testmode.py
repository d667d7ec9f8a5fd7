"""``testMode``: one rule for every write API (MDS ``/igsn``, ``/metadata``, ``/doi``, the JSON API and bulk).

A client that asks for a test and is misunderstood must never get a real write: ``true``/``1`` is a test,
``false``/``0`` is not, in any letter case; any other value — ``yes``, an empty value, two different
values — is refused (400, in the surface's own error form). The parameter name is matched in any letter
case as well (``testmode=true`` is a test, not an unknown parameter ignored into a real write).
"""

from __future__ import annotations

from starlette.requests import Request

from igsn_graph.errors import InvalidInput

__all__ = ["test_mode"]

_VALUES = {"true": True, "1": True, "false": False, "0": False}


def test_mode(request: Request, *, strict: bool = True) -> bool:
    """Whether the request asks for test mode; ``InvalidInput`` for a value that is not one of the four.

    ``strict=False``: False instead of the error (for wording an error response already under way).
    """
    # exactly one of the four words (no surrounding space): anything else is not understood, so refused
    given = {v.lower() for k, v in request.query_params.multi_items() if k.lower() == "testmode"}
    if not given:
        return False
    if len(given) == 1 and next(iter(given)) in _VALUES:
        return _VALUES[next(iter(given))]
    if not strict:
        return False
    shown = ", ".join(repr(v) for v in sorted(given))
    raise InvalidInput(f"testMode must be true or false, not {shown}: nothing was done")
