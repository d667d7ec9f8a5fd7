"""Turtle bulk documents whose blank-node part grows (``document``): the hostile-input test of issue 21 and the
linearity benchmark ``bench/rdf_input.py`` read the same documents."""

from __future__ import annotations

__all__ = ["SHAPES", "document"]

IG = "https://w3id.org/igsn-graph/ontology#"
REL = "<http://purl.org/dc/terms/relation>"
TITLE = "<http://purl.org/dc/terms/title>"
SHAPES = ("stray", "owned", "fan", "shared", "bases")


def document(shape: str, samples: int, blanks: int) -> bytes:
    """A Turtle document: ``samples`` samples and ``blanks`` blank-node triples in ``shape``."""
    host = (lambda s: f"https://h{s}.example.org") if shape == "bases" else (lambda s: "https://igsn.org")
    lines = [f'<{host(s)}/ZTB{s:06d}> <{IG}igsn> "ZTB{s:06d}" ; {TITLE} "Sample {s}" .\n' for s in range(samples)]
    per = max(1, blanks // samples)
    if shape == "stray":
        lines += [f"_:b{i} {REL} _:b{i + 1} .\n" for i in range(blanks)]
    elif shape == "owned":
        for s in range(samples):
            lines.append(f"<https://igsn.org/ZTB{s:06d}> {REL} _:s{s}b0 .\n")
            lines += [f"_:s{s}b{i} {REL} _:s{s}b{i + 1} .\n" for i in range(per)]
    elif shape == "fan":
        for s in range(samples):
            lines += [f'<https://igsn.org/ZTB{s:06d}> {REL} [ {TITLE} "x{i}" ] .\n' for i in range(per)]
    elif shape == "bases":
        lines += [f"<https://example.org/n{i}> {REL} <https://example.org/n{i + 1}> .\n" for i in range(blanks)]
    else:
        lines += [
            f"<https://igsn.org/ZTB{s:06d}> <{IG}registrant> <https://example.org/agent> .\n" for s in range(samples)
        ]
        lines.append(f"<https://example.org/agent> {REL} _:b0 .\n")
        lines += [f"_:b{i} {REL} _:b{i + 1} .\n" for i in range(blanks)]
    return "".join(lines).encode()
