"""The demo registry's accounts: three agents and their six clients, with fictional but well-formed ROR and
ORCID identifiers (valid check digits, in blocks no real organisation or person has)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "AGENTS",
    "CLIENTS",
    "CLIENT_RORS",
    "DemoAgent",
    "DemoClient",
    "demo_accounts",
    "orcid_check_digit",
    "ror_checksum",
]


@dataclass(frozen=True)
class DemoAgent:
    """An allocating agent of the demo registry."""

    symbol: str
    name: str
    password: str
    namespaces: tuple[str, ...]
    doi_prefixes: tuple[str, ...]
    ror: str | None


@dataclass(frozen=True)
class DemoClient:
    """A client (datacentre) of a demo agent; ``symbol`` is ``AGENT.CLIENT``."""

    symbol: str
    name: str
    password: str
    namespaces: tuple[str, ...]
    domains: tuple[str, ...]
    quota: int  # -1 unlimited
    doi_prefixes: tuple[str, ...] = ()


# --- identifier check digits ---------------------------------------------------------------------


def orcid_check_digit(base_digits: str) -> str:
    """ISO 7064 MOD 11-2 check character of the first 15 digits of an ORCID iD."""
    total = 0
    for ch in base_digits:
        total = (total + int(ch)) * 2
    result = (12 - total % 11) % 11
    return "X" if result == 10 else str(result)


_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"


def ror_checksum(base: str) -> str:
    """The two-digit ISO 7064 MOD 97-10 checksum of a ROR id's first seven characters."""
    value = 0
    for ch in base:
        value = value * 32 + _CROCKFORD.index(ch)
    return f"{98 - (value * 100) % 97:02d}"


def ror_iri(number: int) -> str:
    """A ROR-shaped IRI (leading 0, six Crockford base-32 characters, valid checksum)."""
    chars = []
    for _ in range(6):
        number, r = divmod(number, 32)
        chars.append(_CROCKFORD[r])
    base = "0" + "".join(reversed(chars))
    return f"https://ror.org/{base}{ror_checksum(base)}"


# --- accounts --------------------------------------------------------------------------------------

AGENTS = (
    DemoAgent("ZGEO", "Zenith Geological Survey (demo)", "zgeo-demo-2024", ("ZG",), ("10.99991",), ror_iri(0x2A61F3)),
    DemoAgent("ZSEA", "Zephyr Marine Institute (demo)", "zsea-demo-2024", ("ZS",), ("10.99992",), ror_iri(0x31C08B)),
    DemoAgent(
        "ZBIO", "Zinnia Natural History Collections (demo)", "zbio-demo-2024", ("ZB",), ("10.99993",), ror_iri(0x1E7745)
    ),
)

CLIENTS = (
    DemoClient(
        "ZGEO.CORE",
        "Zenith National Core Library (demo)",
        "zgeo-core-demo",
        ("ZGA",),
        ("cores.zgeo.example.org",),
        -1,
        ("10.99991",),
    ),
    DemoClient(
        "ZGEO.FIELD",
        "Zenith Field Mapping Programme (demo)",
        "zgeo-field-demo",
        ("ZGB",),
        ("samples.zgeo.example.org",),
        -1,
        ("10.99991",),
    ),
    DemoClient(
        "ZSEA.CRUISE",
        "Zephyr Seagoing Operations (demo)",
        "zsea-cruise-demo",
        ("ZSA",),
        ("cruises.zsea.example.org",),
        -1,
        ("10.99992",),
    ),
    DemoClient(
        "ZSEA.LAB",
        "Zephyr Sediment Laboratory (demo)",
        "zsea-lab-demo",
        ("ZSB",),
        ("lab.zsea.example.org",),
        -1,
        ("10.99992",),
    ),
    # a finite quota, so the demo shows one; large enough for any benchmark run
    DemoClient(
        "ZBIO.HERB",
        "Zinnia Herbarium and Tissue Bank (demo)",
        "zbio-herb-demo",
        ("ZBA",),
        ("herbarium.zbio.example.org",),
        5_000_000,
        ("10.99993",),
    ),
    DemoClient(
        "ZBIO.SOIL",
        "Zinnia Soil Archive (demo)",
        "zbio-soil-demo",
        ("ZBB",),
        ("soil.zbio.example.org",),
        -1,
        ("10.99993",),
    ),
)

CLIENT_RORS = {c.symbol: ror_iri(0x100000 + 0x2F3D1 * (i + 1)) for i, c in enumerate(CLIENTS)}


def demo_accounts() -> tuple[list[DemoAgent], list[DemoClient]]:
    """The three demo agents and their six clients (two each)."""
    return list(AGENTS), list(CLIENTS)
