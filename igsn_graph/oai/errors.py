"""The eight OAI-PMH error conditions (spec §3.6) as exceptions, each with its protocol ``code``."""

from __future__ import annotations

from typing import ClassVar, Iterable

__all__ = [
    "OaiError",
    "BadArgument",
    "BadResumptionToken",
    "BadVerb",
    "CannotDisseminateFormat",
    "IdDoesNotExist",
    "NoRecordsMatch",
    "NoMetadataFormats",
    "NoSetHierarchy",
    "OaiErrors",
    "CODES",
]


class OaiError(Exception):
    """One protocol error: ``code`` is the value of the ``error/@code`` attribute."""

    code: ClassVar[str] = ""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadArgument(OaiError):
    code = "badArgument"


class BadResumptionToken(OaiError):
    code = "badResumptionToken"


class BadVerb(OaiError):
    code = "badVerb"


class CannotDisseminateFormat(OaiError):
    code = "cannotDisseminateFormat"


class IdDoesNotExist(OaiError):
    code = "idDoesNotExist"


class NoRecordsMatch(OaiError):
    code = "noRecordsMatch"


class NoMetadataFormats(OaiError):
    code = "noMetadataFormats"


class NoSetHierarchy(OaiError):
    code = "noSetHierarchy"


#: every code the OAI-PMH XSD enumerates, and only those (there is no badGranularity)
CODES = frozenset(
    c.code
    for c in (
        BadArgument,
        BadResumptionToken,
        BadVerb,
        CannotDisseminateFormat,
        IdDoesNotExist,
        NoRecordsMatch,
        NoMetadataFormats,
        NoSetHierarchy,
    )
)


class OaiErrors(Exception):
    """Several errors found in one request; the response carries one ``error`` element per problem."""

    def __init__(self, errors: Iterable[OaiError]) -> None:
        self.errors = list(errors)
        if not self.errors:
            raise ValueError("OaiErrors needs at least one error")
        super().__init__("; ".join(f"{e.code}: {e.message}" for e in self.errors))

    @property
    def echo_arguments(self) -> bool:
        """False when ``request`` must carry no attributes (badVerb or badArgument, spec §3.2)."""
        return not any(isinstance(e, (BadVerb, BadArgument)) for e in self.errors)

    @classmethod
    def of(cls, error: OaiError | "OaiErrors") -> "OaiErrors":
        return error if isinstance(error, OaiErrors) else cls([error])
