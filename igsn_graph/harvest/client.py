"""One OAI-PMH provider asked politely: Sickle's requests under a rate limit, a timeout, and bounded retries.

Sickle (BSD; requests and lxml) sends the requests and retries a 503 after its ``Retry-After``; this wrapper
adds what a portal owes the agents it harvests: at most ``rate`` requests per second, a timeout per request,
retries with exponential backoff on network errors and 429/502/503/504 (a ``Retry-After`` is obeyed up to
``max_wait``), then a ``HarvestFailed`` instead of a hot loop. Responses are parsed with the project's safe
parser (``xmlparser.parse_xml``), never by Sickle's. OAI-PMH errors come back as ``OaiError`` with their code.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Callable

import requests
from lxml import etree
from sickle import Sickle

from ..errors import IgsnGraphError
from ..xmlparser import parse_xml

__all__ = ["OAI", "HarvestFailed", "OaiError", "Page", "PoliteClient"]

log = logging.getLogger(__name__)

OAI = "http://www.openarchives.org/OAI/2.0/"
#: statuses worth asking again after a pause (the provider is busy or a proxy failed), not 4xx mistakes
RETRY_STATUSES = (429, 502, 503, 504)


class HarvestFailed(IgsnGraphError):
    """The provider could not be harvested now (network, HTTP status, unreadable response) after the retries."""


class OaiError(IgsnGraphError):
    """The provider answered with an OAI-PMH ``<error>`` (``code``: e.g. badResumptionToken, noRecordsMatch)."""

    def __init__(self, message: str, *, code: str, response_date: str | None = None) -> None:
        super().__init__(message, code=code, response_date=response_date)
        self.code = code


@dataclass
class Page:
    """One parsed response: its root, responseDate, the records element's items and the resumption token."""

    root: etree._Element
    data: bytes
    response_date: str
    token: str | None
    complete_list_size: int | None


class _Sickle(Sickle):  # type: ignore[misc]  # sickle is untyped (a subclass of Any)
    """Sickle whose requests keep the rate limit and are counted, and whose Retry-After is bounded (a provider
    saying 'in a day' is a failure now, not a day's sleep)."""

    def __init__(
        self, url: str, *, interval: float, max_wait: float, sleep: Callable[[float], None], **kwargs: object
    ) -> None:
        super().__init__(url, **kwargs)
        self.interval = interval
        self.max_wait = max_wait
        self.sleep = sleep
        self.sent = 0
        self._last = 0.0

    def _request(self, kwargs: dict[str, str]) -> requests.Response:
        wait = self._last + self.interval - time.monotonic()
        if wait > 0:
            self.sleep(wait)
        self._last = time.monotonic()
        self.sent += 1
        response: requests.Response = super()._request(kwargs)  # sickle is untyped
        return response

    def get_retry_after(self, http_response: requests.Response) -> float:
        return min(retry_after(http_response, self.default_retry_after), self.max_wait)


def retry_after(response: requests.Response, default: float) -> float:
    """Seconds a ``Retry-After`` header asks for (delta-seconds or an HTTP date); ``default`` without one."""
    value = (response.headers.get("Retry-After") or "").strip()
    if not value:
        return default
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return default


class PoliteClient:
    """Requests to one OAI-PMH base URL: ``rate`` per second at most; a busy status is asked again ``retries``
    times after its Retry-After (by Sickle), a network error after an exponential backoff."""

    def __init__(
        self,
        url: str,
        *,
        rate: float = 1.0,
        timeout_s: float = 60,
        retries: int = 4,
        backoff_s: float = 2.0,
        max_wait: float = 300.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.url = url
        self.retries = retries
        self.backoff_s = backoff_s
        self.sleep = sleep
        self._sickle = _Sickle(
            url,
            interval=1.0 / rate,
            max_wait=max_wait,
            sleep=sleep,
            max_retries=retries,
            retry_status_codes=RETRY_STATUSES,
            default_retry_after=backoff_s,
            timeout=timeout_s,
            headers={"User-Agent": "igsn-graph harvester (OAI-PMH)"},
        )

    @property
    def requests(self) -> int:
        """HTTP requests sent so far (a test counts what an incremental run asks)."""
        return self._sickle.sent

    def get(self, **params: str) -> Page:
        """One OAI-PMH request; ``OaiError`` for an OAI error, ``HarvestFailed`` when the tries are spent, the
        status is another error or the answer is no OAI-PMH response."""
        problem = ""
        for attempt in range(self.retries + 1):
            if attempt:
                pause = min(self.backoff_s * 2 ** (attempt - 1), self._sickle.max_wait)
                log.warning("%s: %s; asking again in %.1f s", self.url, problem, pause)
                self.sleep(pause)
            try:
                response = self._sickle.harvest(**params)
            except requests.HTTPError as exc:
                status = exc.response.status_code if exc.response is not None else "?"
                raise HarvestFailed(
                    f"{self.url}: HTTP {status} for {params.get('verb')}"
                    + (" after retries" if status in RETRY_STATUSES else "")
                ) from None
            except requests.RequestException as exc:
                problem = f"network error: {exc.__class__.__name__}: {exc}"
                continue
            return self._page(response.http_response.content)
        raise HarvestFailed(f"{self.url}: {problem} after {self.retries + 1} tries")

    def _page(self, data: bytes) -> Page:
        try:
            root = parse_xml(data)
        except IgsnGraphError as exc:
            raise HarvestFailed(f"{self.url}: the response is not readable XML: {exc.message}") from None
        if root.tag != f"{{{OAI}}}OAI-PMH":
            raise HarvestFailed(f"{self.url}: the response is no OAI-PMH document (root {root.tag})")
        errors = root.findall(f"{{{OAI}}}error")
        if errors:
            code = errors[0].get("code") or "unknown"
            raise OaiError(
                f"{self.url}: OAI-PMH error {code}: {(errors[0].text or '').strip()}",
                code=code,
                response_date=(root.findtext(f"{{{OAI}}}responseDate") or "").strip() or None,
            )
        token_el = root.find(f".//{{{OAI}}}resumptionToken")
        token = (token_el.text or "").strip() or None if token_el is not None else None
        size = token_el.get("completeListSize") if token_el is not None else None
        return Page(
            root=root,
            data=data,
            response_date=(root.findtext(f"{{{OAI}}}responseDate") or "").strip(),
            token=token,
            complete_list_size=int(size) if size and size.isdigit() else None,
        )

    def granularity(self) -> str:
        """The datestamp granularity Identify states (``YYYY-MM-DD`` when it states none, the protocol's floor)."""
        page = self.get(verb="Identify")
        return (page.root.findtext(f".//{{{OAI}}}granularity") or "YYYY-MM-DD").strip()
