"""Text that XML 1.0 can carry: characters it forbids are dropped before lxml sees them.

lxml refuses C0 controls (but TAB, LF, CR), U+FFFE/U+FFFF and surrogates with a ValueError, which
would turn one bad record into a failed page (OAI-PMH.md §1.2); writers clean every value they emit.
"""

from __future__ import annotations

import re

__all__ = ["clean", "is_clean"]

_ILLEGAL = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def clean(text: str) -> str:
    """``text`` without the characters XML 1.0 forbids."""
    return _ILLEGAL.sub("", text)


def is_clean(text: str) -> bool:
    return _ILLEGAL.search(text) is None
