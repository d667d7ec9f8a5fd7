"""Generates realistic synthetic IGSN samples and demo accounts from a fixed seed.

Used by ``make serve`` (``small_demo()``: about 60 samples covering every case) and by benchmarks
(``generate_samples(100_000)``). Output depends only on the seed: one ``random.Random(seed)`` drives
everything and nothing depends on ``hash()`` or set order, so every process gets the same samples.

Everything here is fictional and cannot clash with real registrations: namespaces start with ``Z``
(no real namespace does except ``ZMUK``, which we keep clear of), DOI prefixes are ``10.9999x``,
landing pages live under ``example.org`` (the small demo has none: the resolver shows its own page),
ORCID iDs lie in the never-issued ``0000-0000-`` block (valid check digit, no real person) and
organisations are named "(demo)".

>>> first = next(generate_samples(1))
>>> first.record.igsn.startswith(("ZGA", "ZGB", "ZSA", "ZSB", "ZBA", "ZBB"))
True

The parts: ``accounts`` (the demo agents and clients), ``vocabulary`` (the campaign profiles and names the
generator draws from) and ``samples`` (the generator). Writing them into a registry is ``demo_load``'s.
"""

from __future__ import annotations

from .accounts import DemoAgent, DemoClient, demo_accounts, orcid_check_digit, ror_checksum
from .samples import RELATED_DOI_PREFIX, DemoSample, generate_samples, small_demo

__all__ = [
    "DemoAgent",
    "DemoClient",
    "DemoSample",
    "demo_accounts",
    "generate_samples",
    "small_demo",
    "RELATED_DOI_PREFIX",
    "orcid_check_digit",
    "ror_checksum",
]
