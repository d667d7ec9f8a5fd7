"""api.routers.mds: the MDS registration contract (IGSN.md §2) — every status, message, role and body form."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Iterator
from urllib.parse import quote

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from api.app import create_app
from api.auth.credential_cache import CredentialCache
from igsn_graph.errors import StorageFailure, StoreBusy
from igsn_graph.registry.accounts import Principal
from igsn_graph.registry.service import Registry
from igsn_graph.settings import Settings
from igsn_graph.store import history
from tests.conftest import ADMIN_PASSWORD, AGENT, CLIENT_ONE, CLIENT_TWO, OTHER, fresh_settings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ADMIN = ("admin", ADMIN_PASSWORD)
TEXT = {"Content-Type": "text/plain;charset=UTF-8"}
XML = {"Content-Type": "application/xml;charset=UTF-8"}
BULK = "/api/v1/samples/bulk"


def kernel(igsn: str, *, event: str = "submitted", registrant: str = "Jane Doe") -> bytes:
    """A registration-kernel 1.0 document (the MDS's own format)."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<sample xmlns="http://igsn.org/schema/kernel-v.1.0">\n'
        f'  <sampleNumber identifierType="igsn">{igsn}</sampleNumber>\n'
        f"  <registrant><registrantName>{registrant}</registrantName></registrant>\n"
        f'  <log><logElement event="{event}" timeStamp="2020-01-01T10:00:00"/></log>\n'
        "</sample>\n"
    ).encode()


def csiro(*names: str) -> bytes:
    resources = "".join(
        '<resource registeredObjectType="http://pid.geoscience.gov.au/def/voc/igsn-codelists/PhysicalSample">'
        f"<resourceIdentifier>{n}</resourceIdentifier><landingPage>https://example.org/{n}</landingPage>"
        f"<isPublic>true</isPublic><resourceTitle>Sample {n}</resourceTitle></resource>"
        for n in names
    )
    return f'<resources xmlns="https://igsn.csiro.au/schemas/3.0">{resources}</resources>'.encode()


def description(igsn: str, ns: str = "http://schema.igsn.org/description/1.1") -> bytes:
    return (
        f'<resource xmlns="{ns}" type="Sample"><identifier type="IGSN">{igsn}</identifier>'
        f"<name>Core half {igsn}</name></resource>"
    ).encode()


def igsn_body(igsn: str, url: str, newline: str = "\n") -> str:
    return f"igsn={igsn}{newline}url={url}"


def make_client(registry: Registry, settings: Settings) -> Iterator[TestClient]:
    registry.close()  # the app opens the store itself (one process, one opener)
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture(scope="module")
def mds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """One app for the tests that need no empty registry (each uses its own IGSNs): setup is paid once."""
    # wrong logins are tried here many times on purpose (the throttle is tested in tests/reliability)
    with TestClient(create_app(fresh_settings(tmp_path_factory.mktemp("mds"), login_failures_burst=0))) as c:
        yield c


@pytest.fixture
def client(registry: Registry, settings: Settings) -> Iterator[TestClient]:
    """A fresh app and registry, for tests that need an empty registry or unused quotas."""
    yield from make_client(registry, settings)


def registry_of(client: TestClient) -> Registry:
    return client.app.state.registry  # type: ignore[attr-defined,no-any-return]


def stored(client: TestClient) -> int:
    """How many versions the registry holds: unchanged means nothing was stored."""
    count: int = registry_of(client).db.read().execute("SELECT COUNT(*) FROM versions").fetchone()[0]
    return count


def mint(client: TestClient, igsn: str, url: str, who: tuple[str, str] = CLIENT_ONE, query: str = "") -> httpx.Response:
    return client.post(f"/igsn{query}", content=igsn_body(igsn, url), headers=TEXT, auth=who)


def post_xml(
    client: TestClient,
    data: bytes,
    who: tuple[str, str] = CLIENT_ONE,
    path: str = "/metadata",
    method: str = "POST",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    return client.request(method, path, content=data, headers=headers or XML, auth=who)


def assert_text(r: httpx.Response, status: int, text: str | None = None, *, startswith: str | None = None) -> None:
    """An MDS answer: one line — followed, for a stored record, only by its ``warning: …`` lines."""
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers["content-type"].startswith("text/plain")
    first, *rest = r.text.split("\n")
    assert all(line.startswith("warning: ") for line in rest) and (not rest or status in (200, 201)), r.text
    if text is not None:
        assert first == text
    if startswith is not None:
        assert first.startswith(startswith), r.text


# -- POST /igsn, PUT /igsn/{igsn}, GET /igsn/{igsn}, GET /igsn -----------------------------------
def test_post_igsn_creates_then_updates_and_echoes_the_form_used(mds: TestClient) -> None:
    r = mint(mds, "10273/zta0001", "https://example.org/1")
    assert_text(r, 201, "OK")
    assert r.headers["location"] == "http://testserver/igsn/10273/ZTA0001"
    r = mint(mds, "zta0002", "https://example.org/2")
    assert_text(r, 201, "OK")
    assert r.headers["location"] == "http://testserver/igsn/ZTA0002"
    r = mint(mds, "https://doi.org/10.99990/zta0003", "https://example.org/3")
    assert r.headers["location"] == "http://testserver/igsn/10.99990/ZTA0003"
    # create-or-update: a second POST changes the URL
    assert_text(mint(mds, "ZTA0001", "https://sub.example.org/1b"), 201, "OK")
    for path in ("/igsn/10273/ZTA0001", "/igsn/zta0001", "/igsn/10273/zta0001"):
        assert_text(mds.get(path, auth=CLIENT_ONE), 200, "https://sub.example.org/1b")
    r = mds.head("/igsn/ZTA0001", auth=CLIENT_ONE)
    assert r.status_code == 200 and r.content == b""


@pytest.mark.parametrize(
    "n,body,content_type",
    [
        (1, "igsn=10273/ZTA0011\r\nurl=https://example.org/11\r\n", "text/plain; charset=utf-8"),
        (2, "# a comment\n  igsn = ZTA0012\nurl: https://example.org/12\n", "text/plain"),
        (3, "igsn=10273%2FZTA0013&url=https%3A%2F%2Fexample.org%2F13", "application/x-www-form-urlencoded"),
        (
            4,
            "igsn=10273/ZTA0014\nurl=https://example.org/14",
            "application/x-www-form-urlencoded",
        ),  # curl --data-binary
        (5, "igsn=10273/ZTA0015\nurl=https://example.org/15", None),
    ],
)
def test_body_forms(mds: TestClient, n: int, body: str, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    r = mds.post("/igsn", content=body.encode(), headers=headers, auth=CLIENT_ONE)
    assert_text(r, 201, "OK")
    assert mds.get(f"/igsn/ZTA001{n}", auth=CLIENT_ONE).text == f"https://example.org/1{n}"


def test_list_of_the_callers_igsns(client: TestClient) -> None:
    assert client.get("/igsn", auth=CLIENT_ONE).status_code == 204
    mint(client, "ZTA0021", "https://example.org/x")
    mint(client, "ZTA0020", "https://example.org/x")
    mint(client, "ZTB0020", "https://x.org/x", who=CLIENT_TWO)
    r = client.get("/igsn", auth=CLIENT_ONE)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    assert r.text == "ZTA0020\nZTA0021"
    assert client.get("/igsn", auth=AGENT).text.splitlines() == ["ZTA0020", "ZTA0021", "ZTB0020"]
    assert client.get("/igsn", auth=OTHER).status_code == 204
    assert client.get("/igsn", auth=ADMIN).text.splitlines() == ["ZTA0020", "ZTA0021", "ZTB0020"]
    assert client.head("/igsn", auth=CLIENT_ONE).status_code == 200


def test_put_igsn(mds: TestClient) -> None:
    r = mds.put(
        "/igsn/10273/ZTA0030",
        content=igsn_body("10273/zta0030", "https://example.org/30"),
        headers=TEXT,
        auth=CLIENT_ONE,
    )
    assert_text(r, 201, "OK")
    assert mds.get("/igsn/ZTA0030", auth=CLIENT_ONE).text == "https://example.org/30"
    r = mds.put("/igsn/ZTA0030", content=igsn_body("ZTA0031", "https://example.org/31"), headers=TEXT, auth=CLIENT_ONE)
    assert_text(r, 400, "igsn parameter does not match igsn of resource")
    r = mds.put("/igsn/ZTA0030", content="url=https://example.org/31", headers=TEXT, auth=CLIENT_ONE)
    assert_text(r, 400, "igsn parameter does not match igsn of resource")
    r = mds.put("/igsn/ZTA0030", content="igsn=ZTA0030", headers=TEXT, auth=CLIENT_ONE)
    assert_text(r, 400, "param 'url' required")
    assert mds.get("/igsn/ZTA0031", auth=CLIENT_ONE).status_code == 404


@pytest.mark.parametrize(
    "method,path,allow",
    [
        ("PUT", "/igsn", "GET, HEAD, POST"),
        ("DELETE", "/igsn", "GET, HEAD, POST"),
        ("DELETE", "/igsn/ZTA0032", "GET, HEAD, PUT"),
        ("PUT", "/metadata", "GET, HEAD, POST"),
        ("PATCH", "/metadata/ZTA0032", "GET, HEAD, POST, PUT, DELETE"),
    ],
)
def test_405(mds: TestClient, method: str, path: str, allow: str) -> None:
    r = mds.request(method, path, content=igsn_body("ZTA0032", "https://example.org/"), headers=TEXT, auth=CLIENT_ONE)
    assert_text(r, 405, "Method Not Allowed")
    assert r.headers["allow"] == allow


@pytest.mark.parametrize(
    "body,status,message",
    [
        ("url=https://example.org/1", 400, "param 'igsn' required"),
        ("igsn=\nurl=https://example.org/1", 400, "param 'igsn' required"),
        ("igsn=ZTA0040", 400, "param 'url' required"),
        ("igsn=ZTA 0040\nurl=https://example.org/1", 400, "IGSN must not contain any spaces"),
        ("igsn=ZTA0040 \nurl=https://example.org/1", 400, "IGSN must not contain any spaces"),  # Java Properties
        ("igsn=ZTB0040\nurl=https://example.org/1", 400, "IGSN prefix is not allowed"),  # another client's namespace
        ("igsn=QQ0040\nurl=https://example.org/1", 400, "IGSN prefix is not allowed"),  # no registered namespace
        ("igsn=10.12345/ZTA0040\nurl=https://example.org/1", 400, "IGSN prefix is not allowed"),  # unknown DOI prefix
        ("igsn=ZTA0040\nurl=https://evil.net/1", 400, "domain of URL is not allowed"),
        ("igsn=ZTA0040\nurl=ftp://example.org/1", 400, "malformed URL"),
    ],
)
def test_post_igsn_refusals(mds: TestClient, body: str, status: int, message: str) -> None:
    before = stored(mds)
    r = mds.post("/igsn", content=body, headers=TEXT, auth=CLIENT_ONE)
    assert_text(r, status, startswith=message)
    assert stored(mds) == before


@pytest.mark.parametrize("igsn", ["ZTA$0040", "ZTA0040/", "ZTA\u00e90040", "ZTA//0040", "10273/", "hdl:ZTA"])
def test_malformed_igsn(mds: TestClient, igsn: str) -> None:
    assert_text(mint(mds, igsn, "https://example.org/1"), 400, startswith="malformed IGSN")


def test_sub_domains_are_allowed(mds: TestClient) -> None:
    assert mint(mds, "ZTA0041", "https://data.example.org/41").status_code == 201


def test_quota(client: TestClient) -> None:
    assert mint(client, "ZTB0001", "https://x.org/1", who=CLIENT_TWO).status_code == 201
    assert mint(client, "ZTB0001", "https://x.org/1b", who=CLIENT_TWO).status_code == 201  # an update is free
    assert mint(client, "ZTB0002", "https://x.org/2", who=CLIENT_TWO).status_code == 201
    quota = "datacentre quota exceeded: ZTEST.TWO"
    assert_text(mint(client, "ZTB0003", "https://x.org/3", who=CLIENT_TWO), 403, quota)
    assert_text(post_xml(client, kernel("10273/ZTB0003"), who=CLIENT_TWO), 403, quota)
    assert_text(mint(client, "ZTB0003", "https://x.org/3", who=CLIENT_TWO, query="?testMode=1"), 403, quota)
    assert client.get("/igsn/ZTB0003", auth=CLIENT_TWO).status_code == 404
    # metadata for an existing IGSN is an update, not a new IGSN
    assert post_xml(client, kernel("10273/ZTB0002"), who=CLIENT_TWO).status_code == 201
    # the test namespace never counts
    assert mint(client, "10273/TEST/ZTB3", "https://x.org/t", who=CLIENT_TWO).status_code == 201


def test_get_igsn_statuses(mds: TestClient) -> None:
    assert_text(mds.get("/igsn/ZTA0050", auth=CLIENT_ONE), 404, "IGSN not found")
    assert post_xml(mds, kernel("10273/ZTA0050")).status_code == 201
    r = mds.get("/igsn/ZTA0050", auth=CLIENT_ONE)  # metadata without URL: known, not resolvable
    assert r.status_code == 204 and r.content == b""
    mint(mds, "ZTA0050", "https://example.org/50")
    assert mds.get("/igsn/ZTA0050", auth=CLIENT_ONE).text == "https://example.org/50"
    assert mds.delete("/metadata/ZTA0050", auth=CLIENT_ONE).status_code == 200
    assert_text(mds.get("/igsn/ZTA0050", auth=CLIENT_ONE), 410, "dataset inactive")


# -- roles ----------------------------------------------------------------------------------------
def test_nobody_touches_another_partys_sample(mds: TestClient) -> None:
    mint(mds, "ZTA0060", "https://example.org/60")
    post_xml(mds, kernel("ZTA0061"))
    before = stored(mds)
    foreign = "cannot access dataset which belongs to another party"
    for who in (CLIENT_TWO, OTHER):
        assert_text(mint(mds, "ZTA0060", "https://example.org/x", who=who), 403, foreign)
        assert_text(mds.get("/igsn/ZTA0060", auth=who), 403, foreign)
        assert_text(post_xml(mds, kernel("10273/ZTA0061"), who=who), 403, foreign)
        assert_text(mds.get("/metadata/ZTA0061", auth=who), 403, foreign)
        assert_text(mds.delete("/metadata/ZTA0061", auth=who), 403, foreign)
    assert stored(mds) == before
    assert mds.get("/metadata/ZTA0061", auth=CLIENT_ONE).status_code == 200  # still active


def test_agent_acts_for_its_clients(mds: TestClient) -> None:
    mint(mds, "ZTA0070", "https://example.org/70")
    # the agent's own credentials work on its client's samples
    assert mint(mds, "ZTA0070", "https://example.org/70b", who=AGENT).status_code == 201
    assert mds.get("/igsn/ZTA0070", auth=AGENT).text == "https://example.org/70b"
    assert post_xml(mds, kernel("ZTA0070"), who=AGENT).status_code == 201
    assert mds.get("/metadata/ZTA0070", auth=AGENT).status_code == 200
    # new samples in a client's namespace stay the client's
    assert mint(mds, "ZTA0071", "https://example.org/71", who=AGENT).status_code == 201
    assert mds.get("/igsn/ZTA0071", auth=CLIENT_ONE).status_code == 200
    # master login: the agent's password authenticates as any of its clients
    assert mint(mds, "ZTA0072", "https://example.org/72", who=(CLIENT_ONE[0], AGENT[1])).status_code == 201
    row = registry_of(mds).row("ZTA0072")
    assert row is not None and row.client == CLIENT_ONE[0]
    # but not as another agent's, and not with another agent's password
    assert mds.get("/igsn", auth=(CLIENT_ONE[0], OTHER[1])).status_code == 401
    assert mds.delete("/metadata/ZTA0070", auth=AGENT).status_code == 200


def test_admin_may_do_everything(mds: TestClient) -> None:
    mint(mds, "ZTA0080", "https://example.org/80")
    assert mint(mds, "ZO0080", "https://other.net/80", who=ADMIN).status_code == 201
    assert mds.get("/igsn/ZTA0080", auth=ADMIN).text == "https://example.org/80"
    assert post_xml(mds, kernel("ZTA0080"), who=ADMIN).status_code == 201
    assert mds.delete("/metadata/ZTA0080", auth=ADMIN).status_code == 200
    assert {"ZO0080", "ZTA0080"} <= set(mds.get("/igsn", auth=ADMIN).text.splitlines())


def test_admin_disabled_without_password(registry: Registry, settings: Settings) -> None:
    for c in make_client(registry, settings.with_(admin_password="")):
        assert_text(c.get("/igsn", auth=("admin", "")), 401, "not logged in")


def test_401_with_www_authenticate(mds: TestClient) -> None:
    before = stored(mds)
    for kwargs in (
        {},
        {"auth": (CLIENT_ONE[0], "wrong")},
        {"auth": ("NOBODY", "x")},
        {"headers": {"Authorization": "Basic !!!"}},
        {"headers": {"Authorization": "Bearer abc"}},
    ):
        for method, path in (
            ("GET", "/igsn"),
            ("POST", "/igsn"),
            ("GET", "/igsn/ZTA1"),
            ("POST", "/metadata"),
            ("GET", "/metadata"),
            ("DELETE", "/metadata/ZTA1"),
            ("PUT", "/metadata/ZTA1"),
        ):
            r = mds.request(method, path, content=b"igsn=ZTA1\nurl=https://example.org/", **kwargs)  # type: ignore[arg-type]
            assert_text(r, 401, "not logged in")
            assert r.headers["www-authenticate"] == 'Basic realm="igsn-graph"'
    assert stored(mds) == before


def test_credentials_are_checked_before_the_body_is_read(mds: TestClient) -> None:
    r = mds.post("/metadata", content=b"x" * 100, headers={"Content-Type": "application/json"})
    assert r.status_code == 401


# -- /metadata ------------------------------------------------------------------------------------
def test_post_metadata_get_verbatim_delete_reactivate(mds: TestClient) -> None:
    data = kernel("10273/zta0100")
    r = post_xml(mds, data)
    assert_text(r, 201, "OK (10273/ZTA0100)")
    assert r.headers["location"] == "http://testserver/metadata/10273/ZTA0100"
    r = mds.get("/metadata/10273/ZTA0100", auth=CLIENT_ONE)
    assert r.status_code == 200 and r.headers["content-type"] == "application/xml"
    assert r.content == data  # verbatim, declaration and whitespace included
    newer = kernel("10273/ZTA0100", registrant="John Roe")
    assert post_xml(mds, newer).status_code == 201
    assert mds.get("/metadata/ZTA0100", auth=CLIENT_ONE).content == newer  # the latest version
    assert mds.head("/metadata/ZTA0100", auth=CLIENT_ONE).status_code == 200
    # delete marks inactive; GET answers 410; posting metadata again reactivates
    assert_text(mds.delete("/metadata/ZTA0100", auth=CLIENT_ONE), 200, "OK")
    assert_text(mds.get("/metadata/ZTA0100", auth=CLIENT_ONE), 410, "dataset inactive")
    assert_text(mds.delete("/metadata/ZTA0100", auth=CLIENT_ONE), 200, "OK")  # again: nothing changes
    assert post_xml(mds, data).status_code == 201
    assert mds.get("/metadata/ZTA0100", auth=CLIENT_ONE).content == data
    events = [v.event for v in history.versions_of(registry_of(mds).db.read(), "ZTA0100")]
    assert events == ["metadata-registered", "metadata-updated", "deactivated", "metadata-updated"]


def test_metadata_404_wording(mds: TestClient) -> None:
    assert_text(mds.get("/metadata/ZTA0110", auth=CLIENT_ONE), 404, "IGSN is unknown to MDS")
    assert_text(mds.delete("/metadata/ZTA0110", auth=CLIENT_ONE), 404, "IGSN doesn't exist")
    mint(mds, "ZTA0110", "https://example.org/110")  # a URL, no metadata
    assert_text(mds.get("/metadata/ZTA0110", auth=CLIENT_ONE), 404, "no metadata for the IGSN")
    assert_text(mds.delete("/metadata/ZTA0110", auth=CLIENT_ONE), 404, "Metadata doesn't exist")
    assert mds.get("/igsn/ZTA0110", auth=CLIENT_ONE).status_code == 200  # not deactivated


def test_get_metadata_list_is_204(mds: TestClient) -> None:
    r = mds.get("/metadata", auth=CLIENT_ONE)
    assert r.status_code == 204 and r.content == b""


def test_put_metadata_checks_the_path(mds: TestClient) -> None:
    r = post_xml(mds, kernel("10273/ZTA0120"), path="/metadata/ZTA0120", method="PUT")
    assert_text(r, 201, "OK (ZTA0120)")
    assert r.headers["location"] == "http://testserver/metadata/ZTA0120"
    r = post_xml(mds, kernel("10273/ZTA0120"), path="/metadata/10273/zta0120", method="POST")
    assert_text(r, 201, "OK (10273/ZTA0120)")
    r = post_xml(mds, kernel("10273/ZTA0121"), path="/metadata/10273/ZTA0120", method="PUT")
    assert_text(r, 400, "IGSN does not match")
    assert mds.get("/metadata/ZTA0121", auth=CLIENT_ONE).status_code == 404


@pytest.mark.parametrize(
    "data,name",
    [
        (description("ZTA0130"), "ZTA0130"),
        (description("10273/zta0131"), "10273/ZTA0131"),
        (description("ZTA0132", "http://schema.igsn.org/description/1.0"), "ZTA0132"),
        (csiro("ZTA0133"), "ZTA0133"),
        (
            (FIXTURES / "description-1.1" / "sample-core-half.xml").read_bytes().replace(b"XXABC", b"ZTAABC"),
            "ZTAABC0001",
        ),
    ],
)
def test_other_kernels_by_namespace(mds: TestClient, data: bytes, name: str) -> None:
    r = post_xml(mds, data)
    assert_text(r, 201, f"OK ({name})")
    assert mds.get(f"/metadata/{name}", auth=CLIENT_ONE).content == data


def test_multi_record_document_points_to_bulk(mds: TestClient) -> None:
    before = stored(mds)
    r = post_xml(mds, csiro("ZTA0140", "ZTA0141", "ZTA0142"))
    assert_text(r, 400)
    assert BULK in r.text and "3 records" in r.text
    assert stored(mds) == before


@pytest.mark.parametrize(
    "data,message",
    [
        (b"", "request body must not be empty"),
        (b"  \n", "request body must not be empty"),
        (
            b'<sample xmlns="http://igsn.org/schema/kernel-v.1.0"><registrant/></sample>',
            "failed to retrieve IGSN from xml",
        ),
        (
            b'<sample xmlns="http://igsn.org/schema/kernel-v.1.0"><sampleNumber> </sampleNumber></sample>',
            "failed to retrieve IGSN from xml",
        ),
        (b'<resources xmlns="https://igsn.csiro.au/schemas/3.0"/>', "failed to retrieve IGSN from xml"),
        (b"<sample", "malformed XML"),
        (b"<html/>", "unsupported XML document"),
        (kernel("10273/ZTA 0150"), "IGSN must not contain any spaces"),
        (kernel("10273/QQ0150"), "IGSN prefix is not allowed"),
        (kernel("10273/ZTA0150", event="bogus"), "/sample/log/logElement: A log entry must be one of"),  # SHACL
        ('<?xml version="1.0" encoding="ISO-8859-1"?><sample/>'.encode(), "documents must be encoded in UTF-8"),
        (b"<sample>\xff</sample>", "document is not valid UTF-8"),
    ],
)
def test_metadata_refusals(mds: TestClient, data: bytes, message: str) -> None:
    before = stored(mds)
    assert_text(post_xml(mds, data), 400, startswith=message)
    assert stored(mds) == before


def test_xxe_is_refused_and_nothing_stored(mds: TestClient, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    data = (
        f'<?xml version="1.0"?><!DOCTYPE sample [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<sample xmlns="http://igsn.org/schema/kernel-v.1.0"><sampleNumber identifierType="igsn">ZTA0160'
        "</sampleNumber><registrant><registrantName>&x;</registrantName></registrant>"
        '<log><logElement event="submitted" timeStamp="2020-01-01T10:00:00"/></log></sample>'
    ).encode()
    before = stored(mds)
    r = post_xml(mds, data)
    assert_text(r, 400, startswith="document type declarations and entities are not allowed")
    assert "TOP-SECRET" not in r.text
    assert stored(mds) == before
    assert mds.get("/metadata/ZTA0160", auth=CLIENT_ONE).status_code == 404


def test_415_wrong_content_type(mds: TestClient) -> None:
    before = stored(mds)
    r = post_xml(mds, kernel("ZTA0170"), headers={"Content-Type": "application/json"})
    assert_text(r, 415, startswith="Content-Type application/json is not supported")
    r = post_xml(mds, kernel("ZTA0170"), headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_text(r, 415)
    r = post_xml(mds, kernel("ZTA0170"), headers={"Content-Type": "application/xml; charset=ISO-8859-1"})
    assert_text(r, 415)
    r = mds.post(
        "/igsn",
        content=igsn_body("ZTA0170", "https://example.org/"),
        headers={"Content-Type": "application/xml"},
        auth=CLIENT_ONE,
    )
    assert_text(r, 415)
    assert stored(mds) == before
    # text/xml and …+xml are XML
    assert post_xml(mds, kernel("ZTA0170"), headers={"Content-Type": "text/xml"}).status_code == 201
    assert post_xml(mds, kernel("ZTA0170"), headers={"Content-Type": "application/igsn+xml"}).status_code == 201
    assert stored(mds) == before + 2


def test_metadata_first_is_configurable(registry: Registry, settings: Settings) -> None:
    for c in make_client(registry, settings.with_(metadata_required=True)):
        assert_text(mint(c, "ZTA0180", "https://example.org/180"), 412, "You have to register metadata first!")
        assert_text(
            mint(c, "ZTA0180", "https://example.org/180", query="?testMode=true"),
            412,
            "You have to register metadata first! (only test mode!)",
        )
        assert post_xml(c, kernel("ZTA0180")).status_code == 201
        assert mint(c, "ZTA0180", "https://example.org/180").status_code == 201


# -- test mode ------------------------------------------------------------------------------------
@pytest.mark.parametrize("flag", ["true", "1", "TRUE"])
def test_test_mode_validates_and_stores_nothing(mds: TestClient, flag: str) -> None:
    q = f"?testMode={flag}"
    before = stored(mds)
    r = mint(mds, "10273/ZTA0190", "https://example.org/190", query=q)
    assert_text(r, 201, "OK (only test mode!)")
    assert r.headers["location"] == "http://testserver/igsn/10273/ZTA0190"
    r = post_xml(mds, kernel("ZTA0191"), path=f"/metadata{q}")
    assert_text(r, 201, "OK (ZTA0191) (only test mode!)")
    r = mds.put(
        f"/igsn/ZTA0192{q}", content=igsn_body("ZTA0192", "https://example.org/"), headers=TEXT, auth=CLIENT_ONE
    )
    assert_text(r, 201, "OK (only test mode!)")
    assert stored(mds) == before
    for name in ("ZTA0190", "ZTA0191", "ZTA0192"):
        assert mds.get(f"/igsn/{name}", auth=CLIENT_ONE).status_code == 404
    # errors are still errors, without the suffix
    assert_text(mint(mds, "ZTA0190", "https://evil.net/", query=q), 400, "domain of URL is not allowed")
    # delete in test mode: checked, not done
    post_xml(mds, kernel("ZTA0193"))
    assert_text(mds.delete(f"/metadata/ZTA0193{q}", auth=CLIENT_ONE), 200, "OK (only test mode!)")
    assert mds.get("/metadata/ZTA0193", auth=CLIENT_ONE).status_code == 200
    assert_text(mds.delete(f"/metadata/ZTA0194{q}", auth=CLIENT_ONE), 404, "IGSN doesn't exist")


def test_test_mode_false_stores(mds: TestClient) -> None:
    assert_text(mint(mds, "ZTA0195", "https://example.org/", query="?testMode=false"), 201, "OK")
    assert mds.get("/igsn/ZTA0195", auth=CLIENT_ONE).status_code == 200


# -- safety ---------------------------------------------------------------------------------------
def test_413_body_limit(registry: Registry, settings: Settings) -> None:
    for c in make_client(registry, settings.with_(max_body_bytes=2000)):
        big = kernel("ZTA0200").replace(b"Jane Doe", b"J" * 3000)
        assert_text(post_xml(c, big), 413, "request body is larger than 2000 bytes")

        def chunks() -> Iterator[bytes]:  # no Content-Length: the limit is applied while reading
            for _ in range(100):
                yield b"x" * 100

        assert_text(c.post("/metadata", content=chunks(), headers=XML, auth=CLIENT_ONE), 413)
        r = c.post(
            "/igsn",
            content=("igsn=ZTA0200\nurl=https://example.org/" + "a" * 3000).encode(),
            headers=TEXT,
            auth=CLIENT_ONE,
        )
        assert_text(r, 413)
        assert stored(c) == 0
        assert post_xml(c, kernel("ZTA0200")).status_code == 201  # under the limit


@pytest.mark.parametrize(
    "body,message",
    [
        (b"igsn=ZTA0210\nurl=https://example.org/\xff", "request body is not valid UTF-8"),
        (b"igsn=ZTA0210\x00\nurl=https://example.org/", "request body must not contain control characters"),
        (b"igsn=ZTA0210\nurl=https://example.org/\x1b[31m", "request body must not contain control characters"),
        ("igsn=ZTA0210\nurl=https://example.org/\u0085".encode(), "request body must not contain control characters"),
    ],
)
def test_text_body_refusals(mds: TestClient, body: bytes, message: str) -> None:
    before = stored(mds)
    assert_text(mds.post("/igsn", content=body, headers=TEXT, auth=CLIENT_ONE), 400, startswith=message)
    assert stored(mds) == before


def test_form_body_refusals(mds: TestClient) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    r = mds.post("/igsn", content=b"igsn=ZTA0211&url=https%3A%2F%2Fexample.org%2F%FF", headers=form, auth=CLIENT_ONE)
    assert_text(r, 400, startswith="malformed form-encoded body")
    r = mds.post("/igsn", content=b"igsn=ZTA0211%0A&url=https%3A%2F%2Fexample.org%2F", headers=form, auth=CLIENT_ONE)
    assert_text(r, 400, startswith="request body must not contain control characters")


@hsettings(max_examples=40, deadline=None)
@given(body=st.binary(max_size=200), path=st.text(min_size=1, max_size=30))
def test_never_a_500_for_bad_input(mds: TestClient, body: bytes, path: str) -> None:
    for r in (
        mds.post("/igsn", content=body, headers=TEXT, auth=CLIENT_ONE),
        mds.post("/metadata", content=body, headers=XML, auth=CLIENT_ONE),
        mds.get("/igsn/" + quote(path, safe=""), auth=CLIENT_ONE),
        mds.get("/metadata/" + quote(path, safe="/"), auth=CLIENT_ONE),
    ):
        assert r.status_code < 500, (r.status_code, r.text)
        assert r.headers.get("content-type", "text/plain").startswith(("text/plain", "application/xml"))


def test_other_paths_keep_problem_json(mds: TestClient) -> None:
    r = mds.get("/no-such-route")
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/json")
    r = mds.get("/igsnx")
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/json")
    assert mds.get("/health").json()["status"] == "ok"


def test_internal_failures_are_one_line_and_leak_nothing(
    registry: Registry, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry.close()
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        core = registry_of(c)
        for exc, status, text in (
            (RuntimeError("secret /var/x"), 500, "uncaught exception (request "),
            (StorageFailure("secret /var/x"), 503, "storage failure: the operation was not"),
            (StoreBusy("secret /var/x"), 503, "the registry is busy, please try again"),
        ):

            def fail(*args: object, exc: Exception = exc) -> None:
                raise exc

            monkeypatch.setattr(core, "names_of", fail)
            r = c.get("/igsn", auth=CLIENT_ONE)
            assert_text(r, status, startswith=text)
            assert "secret" not in r.text
        monkeypatch.setattr(core, "count", fail)  # /health: not an MDS path, problem+json as before
        r = c.get("/health")
        assert r.status_code == 503 and r.headers["content-type"] == "application/problem+json"


def test_concurrent_posts_to_one_igsn_all_kept(mds: TestClient) -> None:
    n = 8
    statuses: list[int] = []
    barrier = threading.Barrier(n)

    def post(i: int) -> None:
        barrier.wait()
        statuses.append(post_xml(mds, kernel("ZTA0300", registrant=f"Writer {i}")).status_code)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [201] * n
    versions = history.versions_of(registry_of(mds).db.read(), "ZTA0300")
    assert [v.version for v in versions] == list(range(1, n + 1))
    assert sorted(v.document or b"" for v in versions) == sorted(
        kernel("ZTA0300", registrant=f"Writer {i}") for i in range(n)
    )
    assert mds.get("/metadata/ZTA0300", auth=CLIENT_ONE).content == versions[-1].document


# -- credentials ----------------------------------------------------------------------------------
def test_verified_credentials_are_cached(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    accounts = registry_of(client).accounts
    calls: list[str] = []
    real = accounts.authenticate

    def counting(user: str, password: str, **kw: object) -> Principal:
        calls.append(user)
        return real(user, password, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(accounts, "authenticate", counting)
    for _ in range(3):
        assert client.get("/igsn", auth=CLIENT_ONE).status_code == 204
    assert calls == [CLIENT_ONE[0]]
    for _ in range(2):  # failures are never cached
        assert client.get("/igsn", auth=(CLIENT_ONE[0], "wrong")).status_code == 401
    assert calls == [CLIENT_ONE[0]] * 3
    cache: CredentialCache = client.app.state.credential_cache  # type: ignore[attr-defined]
    assert len(cache) == 1
