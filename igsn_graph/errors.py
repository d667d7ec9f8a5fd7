"""Exceptions of the core; each carries data and an English message, never an HTTP status.

IgsnGraphError
├── InvalidInput                 the caller's input is wrong (400 in every protocol)
│   ├── InvalidIdentifier        an IGSN/handle/DOI that cannot be parsed (``reason`` code)
│   ├── MalformedDocument        not well-formed, unsafe, too large, not UTF-8 (``position``)
│   ├── UnsupportedFormat        a document of no format we read
│   ├── InvalidRecord            SHACL or mapping violations (``violations``)
│   ├── UnknownNamespace         the name lies in no registered namespace
│   └── NamespaceNotAllowed      the namespace or DOI prefix belongs to another party
├── NotAuthenticated             no or wrong credentials
├── NotAllowed                   authenticated but not permitted
│   ├── ForeignSample            another party's sample or namespace
│   ├── DomainNotAllowed         landing URL outside the client's domains
│   └── QuotaExceeded            the client's quota of distinct IGSNs is used up
├── NotFound                     unknown IGSN, account or version
├── Gone                         the sample is inactive
├── Conflict                     exists already / precondition failed
└── StorageFailure               our own I/O failed
    ├── StoreBusy                another process holds the store
    ├── ReadOnly                 the registry was opened read-only: every write is refused
    └── OutOfSync                graph, history and index disagree
"""

from __future__ import annotations

from typing import Any, Sequence

__all__ = [
    "IgsnGraphError",
    "InvalidInput",
    "InvalidIdentifier",
    "MalformedDocument",
    "UnsupportedFormat",
    "InvalidRecord",
    "UnknownNamespace",
    "NamespaceNotAllowed",
    "NotAuthenticated",
    "LoginThrottled",
    "NotAllowed",
    "ForeignSample",
    "DomainNotAllowed",
    "QuotaExceeded",
    "NotFound",
    "Gone",
    "Conflict",
    "StorageFailure",
    "StoreBusy",
    "ReadOnly",
    "OutOfSync",
]


class IgsnGraphError(Exception):
    """Root of every error the core raises on purpose."""

    def __init__(self, message: str, **data: Any) -> None:
        super().__init__(message)
        self.message = message
        self.data = data


class InvalidInput(IgsnGraphError):
    """The caller's input is wrong; nothing was changed."""


class InvalidIdentifier(InvalidInput):
    """``reason`` is one of: empty, whitespace, control, character, too_long, doi_prefix, syntax."""

    def __init__(self, message: str, *, value: str, reason: str) -> None:
        super().__init__(message, value=value, reason=reason)
        self.value = value
        self.reason = reason


class MalformedDocument(InvalidInput):
    """A document that is not well-formed, unsafe, too large or not UTF-8."""

    def __init__(self, message: str, *, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message, line=line, column=column)
        self.line = line
        self.column = column


class UnsupportedFormat(InvalidInput):
    """A document in no format we read (unknown root element or namespace, unknown media type)."""


class InvalidRecord(InvalidInput):
    """A record that does not conform; ``violations`` lists why (validation.Violation objects)."""

    def __init__(self, message: str, *, igsn: str | None = None, violations: Sequence[Any] = ()) -> None:
        super().__init__(message, igsn=igsn)
        self.igsn = igsn
        self.violations = list(violations)

    def reasons(self) -> list[str]:
        return [str(v) for v in self.violations] or [self.message]


class UnknownNamespace(InvalidInput):
    """The IGSN lies in no registered namespace."""


class NamespaceNotAllowed(InvalidInput):
    """The IGSN's namespace (or DOI prefix) is not one the caller may register in."""


class NotAuthenticated(IgsnGraphError):
    """No credentials, or wrong ones."""


class LoginThrottled(IgsnGraphError):
    """Too many failed logins (for this account from this address, from this address, or from everywhere at
    once — api/auth/login_throttle.py's three buckets): refused before any password is hashed.

    ``data["retry_after"]``: whole seconds until the next attempt is allowed.
    """


class NotAllowed(IgsnGraphError):
    """Authenticated, but this operation is not permitted for the caller."""


class ForeignSample(NotAllowed):
    """The sample or namespace belongs to another party."""


class DomainNotAllowed(NotAllowed):
    """The landing URL's host is outside the client's allowed domains."""


class QuotaExceeded(NotAllowed):
    """The client's quota of distinct IGSNs is used up."""


class NotFound(IgsnGraphError):
    """Unknown IGSN, account, namespace or version."""


class Gone(IgsnGraphError):
    """The sample exists but is inactive."""


class Conflict(IgsnGraphError):
    """The thing exists already, or a precondition does not hold."""


class StorageFailure(IgsnGraphError):
    """Our own storage failed; the operation was not acknowledged."""


class StoreBusy(StorageFailure):
    """Another process holds the store's write lock."""


class ReadOnly(StorageFailure):
    """The registry is read-only (its data folder is not writable, or the ``read_only`` setting); nothing was
    changed. Its message is meant for the caller: it names no files."""


class OutOfSync(StorageFailure):
    """Graph, history and index disagree."""
