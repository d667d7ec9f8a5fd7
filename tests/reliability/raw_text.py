"""Arbitrary stored text for the property tests: a record carrying one text in every text field, and the
registry's internal write path, which the text policy is not on.

The policy (``igsn_graph.text_policy``) refuses noncharacters and C0 controls at every write surface; the
tests here store such text anyway (as a registry written before the policy may hold it), to show that
backups and every output writer hold up whatever is stored.
"""

from __future__ import annotations

from hypothesis import strategies as st

from igsn_graph.record import (
    Agent,
    Classification,
    Contributor,
    Curation,
    Identifier,
    LogEvent,
    Place,
    RegistryFacts,
    Relation,
    SampledFeature,
    SampleRecord,
    TimeSpan,
)
from igsn_graph.registry.accounts import ADMIN
from igsn_graph.registry.service import Registry

__all__ = ["TRICKY", "any_text", "record_with", "store_raw"]

#: texts that broke something once: line ends of ``str.splitlines`` that N-Quads does not know, XML's
#: forbidden characters, noncharacters, text not in NFC, markup and quoting characters, emoji
TRICKY = [
    "a\u2028b",
    "a\u2029b",
    "a\x85b",
    "a\x1cb\x1db\x1eb",
    "a\x0bb\x0cb",
    "a\rb\r\nc\nd",
    "\x00",
    "a\ufffeb\uffffc",
    "\ufdd0\U0010ffff",
    "Cafe\u0301",
    "<script>alert(1)</script>&amp;\"'",
    "\U0001f600" * 3,
    "\t \t",
    "\\u0000\\n",
    "]]>",
    "--> <!--",
    "\u202e\u200b",
    "",
]

#: any text a Python string may hold that UTF-8 can encode (no lone surrogates), tricky ones mixed in
any_text = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=30),
    st.sampled_from(TRICKY),
    st.lists(st.sampled_from(TRICKY), min_size=2, max_size=4).map("".join),
)


def record_with(name: str, text: str) -> SampleRecord:
    """A sample whose every free-text field holds ``text`` (names, descriptions, labels, log, relation titles)."""
    who = Agent(
        text or "x",
        Identifier("https://orcid.org/0000-0002-1825-0097", "ORCID"),
        kind="Person",
        affiliation=Agent(text or "y", kind="Organization"),
    )
    return SampleRecord(
        name,
        name=text or name,
        description=text,
        purpose=text,
        campaign=text,
        comments=text,
        method_description=text,
        collectors=[who],
        contributors=[Contributor(Agent(text or "z"), "Sponsor")],
        curations=[Curation(curator=text, location=text, institution=Agent(text or "w"))],
        places=[Place(name=text or "p")],
        classifications=[Classification(text or "c")],
        sampled_features=[SampledFeature(name=text or "f")],
        collection_time=TimeSpan(instant="2020-01-02"),
        materials=["http://vocabulary.odm2.org/medium/rock"],
        relations=[Relation("10.5072/DATA.1", "DOI", "IsCitedBy", title=text or None)],
        log=[LogEvent("submitted", "2020-01-02T00:00:00Z", comment=text or None, text=text or None)],
    )


def store_raw(
    registry: Registry,
    record: SampleRecord,
    *,
    agent: str = "ZTEST",
    client: str | None = "ZTEST.ONE",
    namespace: str = "ZTA",
) -> None:
    """Writes ``record`` through the journal itself: graph, history and index as a registration would, without
    the checks of ``Registry._prepare`` (text policy included)."""
    with registry.writing():
        previous = registry.row(record.igsn)
        stamp = registry.journal.reserve()
        facts = RegistryFacts(
            igsn=record.igsn,
            agent=agent,
            client=client,
            namespace=namespace,
            datestamp=stamp,
            registered=stamp,
            has_metadata=True,
            landing_url="https://example.org/s",
        )
        registry.journal.commit(
            [
                registry.admin_change(
                    facts=facts, record=record, previous=previous, event="metadata-registered", principal=ADMIN
                )
            ]
        )
