"""What a validation reports: one ``Violation`` per SHACL result, a ``ValidationReport`` per sample, in terms a
registrant can act on (the path in our prefixes, the XML element the field was read from).

Apart from ``validation`` so that both engines (``PyshaclEngine`` there, ``validation_compiled``) build the same
results without importing each other.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .formats.graph import field_of
from .record import SampleRecord
from .vocab import PREFIXES

__all__ = ["ValidationReport", "Violation", "with_elements"]


@dataclass(frozen=True)
class Violation:
    """One SHACL result, in terms a registrant can act on."""

    focus_node: str
    path: str | None
    value: str | None
    message: str
    severity: str = "Violation"
    source_shape: str | None = None
    #: the XML element the offending field was read from, when known (``with_elements``)
    element: str | None = None
    #: the SHACL constraint component that failed (e.g. ``sh:MinCountConstraintComponent``, as an IRI)
    constraint: str | None = None

    def __str__(self) -> str:
        where = self.element or _where(self.focus_node, self.path)
        shown = "" if self.value is None or len(self.value) > 80 else f" (value: {self.value!r})"
        return f"{where}: {self.message}{shown}"


@dataclass(frozen=True)
class ValidationReport:
    """Whether one sample conforms, and why not."""

    conforms: bool
    violations: tuple[Violation, ...] = ()

    def __str__(self) -> str:
        if self.conforms:
            return "conforms"
        return "\n".join(str(v) for v in self.violations)


def _compact(iri: str) -> str:
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{prefix}:{iri[len(ns) :]}"
    return f"<{iri}>"


def _where(focus: str, path: str | None) -> str:
    node = "#" + focus.rsplit("#", 1)[1] + " " if "#" in focus else ""
    return f"{node}{_compact(path)}" if path else (node.strip() or _compact(focus))


def with_elements(report: ValidationReport, record: SampleRecord) -> ValidationReport:
    """``report`` with each violation's ``element`` taken from ``record.source_elements``."""
    if not record.source_elements or not report.violations:
        return report
    out = []
    for v in report.violations:
        field = field_of(v.focus_node, v.path)
        element = record.source_elements.get(field) if field else None
        out.append(dataclasses.replace(v, element=element) if element else v)
    return dataclasses.replace(report, violations=tuple(out))
