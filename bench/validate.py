"""Prints how many records per second convert to RDF and validate, in batches and one by one.

    .venv/bin/python bench/validate.py [N] [BATCH]

Records are synthetic and typical of a kernel registration (name, registrant, collector, point,
material, sample type, method, collection date, one related DOI); every 10th has a defect.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout, installed or not

from igsn_graph.formats.graph import record_triples
from igsn_graph.iris import Iris
from igsn_graph.record import Agent, Geometry, Identifier, Relation, SampleRecord, TimeSpan
from igsn_graph.validation import Validator


def synthetic(i: int) -> SampleRecord:
    """Record ``i``; every 10th has an unknown material and a latitude out of range."""
    bad = i % 10 == 9
    return SampleRecord(
        igsn=f"BENCH{i:07d}",
        name=f"Sample {i}",
        description="Synthetic benchmark sample",
        registrant=Agent("Bench Institute", Identifier("03qn8fb07", "ROR"), kind="Organization"),
        collectors=[Agent(f"Collector {i % 50}", Identifier("0000-0002-1825-0097", "ORCID"), kind="Person")],
        geometries=[Geometry(f"POINT ({100 + i % 50} {95 if bad else -30 - i % 40})")],
        materials=["http://vocabulary.odm2.org/medium/" + ("unobtainium" if bad else "rock")],
        resource_types=["http://vocabulary.odm2.org/specimentype/core/"],
        collection_method="http://pid.geoscience.gov.au/def/voc/ga/igsn/method/Corer",
        collection_time=TimeSpan(instant=f"20{i % 25:02d}-05-17"),
        relations=[Relation(f"10.1234/paper.{i % 100}", "DOI", "IsCitedBy")],
    )


def main(n: int = 10_000, batch: int = 1000) -> None:
    iris = Iris()
    records = [synthetic(i) for i in range(n)]

    t0 = time.perf_counter()
    validator = Validator(iris)
    t1 = time.perf_counter()
    graphs = {r.igsn: record_triples(r, iris) for r in records}
    t2 = time.perf_counter()
    triples = sum(len(g) for g in graphs.values())
    print(f"Validator() {1000 * (t1 - t0):.0f} ms; {n} records, {triples / n:.1f} triples each")
    print(f"convert   {n / (t2 - t1):8.0f} records/s  ({1000 * (t2 - t1) / n:.3f} ms/record)")

    names = list(graphs)
    invalid = 0
    t3 = time.perf_counter()
    for start in range(0, n, batch):
        chunk = {name: graphs[name] for name in names[start:start + batch]}
        reports = validator.validate_many(chunk)
        invalid += sum(not r.conforms for r in reports.values())
    t4 = time.perf_counter()
    print(f"batches   {n / (t4 - t3):8.0f} records/s  ({1000 * (t4 - t3) / n:.3f} ms/record, "
          f"batch {batch}, {invalid} invalid)")

    singles = names[: min(n, 2000)]
    timings = []
    for name in singles:
        s = time.perf_counter()
        validator.validate(name, graphs[name])
        timings.append(time.perf_counter() - s)
    mean = statistics.fmean(timings)
    print(f"single    {1 / mean:8.0f} records/s  ({1000 * mean:.3f} ms/record mean, "
          f"{1000 * statistics.median(timings):.3f} median, over {len(singles)})")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
