"""The OAI-PMH 2.0 data provider: arguments, tokens, sets, formats, verbs and XML (HTTP lives in ``api``).

``Repository(registry)`` holds what the verbs need; ``args.parse_request`` checks a request,
``verbs.handle`` answers it and ``xml.render``/``xml.render_errors`` write the response.
"""

from __future__ import annotations

__all__: list[str] = []
