"""Headless Chromium driven over the DevTools protocol on a pipe, for the page tests (issue 17).

``--remote-debugging-pipe``: commands on fd 3, answers and events on fd 4, each a JSON text ended by NUL; the
tests need nothing but the browser (Debian package ``chromium``). ``Fetch.enable`` pauses every request a
page makes: ``Browser`` records its URL and lets it through when it is for the server under test, fails it
otherwise — a page that would load a font, tile or script from elsewhere is caught without the test ever
reaching the network. Console messages (``Runtime.consoleAPICalled``), uncaught exceptions
(``Runtime.exceptionThrown``) and the browser's own log (``Log.entryAdded``: CSP refusals, failed loads) are
collected per page. ``Runtime.evaluate`` runs a script in the page as served (DevTools evaluation is not
subject to the page's Content-Security-Policy, so axe-core needs no copy of the page). ``Browser.open`` keeps a
tab open as a ``Page`` for tests that act on it step by step (``evaluate``, ``wait_for``).
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

__all__ = ["CHROMIUM", "Browser", "Page", "Visit"]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

#: schemes a page may use without a request to anyone (inline images, the blank page a target opens on)
LOCAL_SCHEMES = ("data", "about", "blob")
#: how long a page may stay quiet after its load event before it is taken as done (scripts, late requests)
QUIET_S = 1.0


@dataclass
class Visit:
    """What one page did in the browser."""

    url: str
    requested: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    loaded: bool = False
    #: what the last of ``visit``'s scripts returned (by value)
    result: Any = None


def _high(fd: int) -> int:
    """``fd`` moved to 10 or above (close-on-exec), so moving it to 3 or 4 in the child never overwrites the other."""
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return moved


class Browser:
    """One headless Chromium, driven over the DevTools pipe; ``visit`` opens a page in a fresh tab."""

    def __init__(self, profile: Path, origin: str) -> None:
        self.origin = origin
        commands_in, self._commands = map(_high, os.pipe())  # Chromium reads fd 3
        self._answers, answers_out = map(_high, os.pipe())  # Chromium writes fd 4
        assert CHROMIUM is not None
        self.proc = subprocess.Popen(
            [
                "bash",  # multi-digit descriptors in redirections (dash takes one digit)
                "-c",
                f'exec "$0" "$@" 3<&{commands_in} 4>&{answers_out} {commands_in}<&- {answers_out}>&-',
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--no-default-browser-check",
                f"--user-data-dir={profile}",
                "--remote-debugging-pipe",
                "about:blank",
            ],
            pass_fds=(commands_in, answers_out),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(commands_in)
        os.close(answers_out)
        self._buffer = b""
        self._next_id = 0
        self._answered: dict[int, dict[str, Any]] = {}

    def close(self) -> None:
        try:
            self.send("Browser.close", wait=False)
            self.proc.wait(timeout=20)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        finally:
            os.close(self._commands)
            os.close(self._answers)

    # --- the protocol -----------------------------------------------------------------------------------

    def send(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        session: str | None = None,
        *,
        wait: bool = True,
        timeout: float = 30,
        visit: Visit | None = None,
    ) -> dict[str, Any]:
        """Sends a command; with ``wait``, its result (events meanwhile go to ``visit``)."""
        self._next_id += 1
        ident = self._next_id
        message: dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        if not wait:
            return {}
        self._pump(lambda: ident in self._answered, timeout=timeout, visit=visit)
        answer = self._answered.pop(ident)
        assert "error" not in answer, (method, answer["error"])
        return answer.get("result", {})  # type: ignore[no-any-return]

    def _pump(self, done: Callable[[], bool], timeout: float, visit: Visit | None = None) -> None:
        """Reads answers and events until ``done()``; events go to ``visit`` (and paused requests are decided)."""
        deadline = time.monotonic() + timeout
        while not done():
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("Chromium did not answer in time")
            ready, _, _ = select.select([self._answers], [], [], left)
            if not ready:
                continue
            chunk = os.read(self._answers, 1 << 16)
            if not chunk:
                raise RuntimeError(f"Chromium closed the pipe (exit {self.proc.poll()})")
            self._buffer += chunk
            while b"\0" in self._buffer:
                raw, _, self._buffer = self._buffer.partition(b"\0")
                message = json.loads(raw)
                if "id" in message:
                    self._answered[message["id"]] = message
                elif visit is not None:
                    self._event(message, visit)

    def _event(self, message: dict[str, Any], visit: Visit) -> None:
        method, params, session = message["method"], message.get("params", {}), message.get("sessionId")
        if method == "Fetch.requestPaused":
            url = params["request"]["url"]
            visit.requested.append(url)
            if self._is_local(url):
                self.send("Fetch.continueRequest", {"requestId": params["requestId"]}, session, wait=False)
            else:
                visit.external.append(url)
                failed = {"requestId": params["requestId"], "errorReason": "BlockedByClient"}
                self.send("Fetch.failRequest", failed, session, wait=False)
        elif method == "Runtime.consoleAPICalled":
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
            visit.console.append(f"console.{params['type']}: {text}")
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            visit.console.append(f"exception: {details.get('exception', {}).get('description') or details['text']}")
        elif method == "Log.entryAdded":
            entry = params["entry"]
            if entry["level"] in ("error", "warning"):
                visit.console.append(
                    f"log.{entry['level']} ({entry['source']}): {entry['text']} {entry.get('url', '')}"
                )
        elif method == "Page.loadEventFired":
            visit.loaded = True

    def _is_local(self, url: str) -> bool:
        parts = urlsplit(url)
        return parts.scheme in LOCAL_SCHEMES or f"{parts.scheme}://{parts.netloc}" == self.origin

    # --- pages ------------------------------------------------------------------------------------------

    def visit(self, url: str, scripts: tuple[str, ...] = ()) -> Visit:
        """Opens ``url`` in a new tab until it is loaded and quiet, then runs ``scripts`` in it in turn (each
        awaited when it is a promise)."""
        visit = Visit(url)
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        try:
            self.send("Fetch.enable", {"patterns": [{"urlPattern": "*"}]}, session)
            for domain in ("Runtime", "Log", "Page"):
                self.send(f"{domain}.enable", {}, session)
            self._navigate(url, session, visit)
            self._pump(lambda: visit.loaded, timeout=30, visit=visit)
            self._quiet(visit)
            for script in scripts:
                answer = self.send(
                    "Runtime.evaluate",
                    {"expression": script, "awaitPromise": True, "returnByValue": True},
                    session,
                    timeout=120,
                    visit=visit,
                )
                assert "exceptionDetails" not in answer, answer["exceptionDetails"]
                visit.result = answer["result"].get("value")
        finally:
            self.send("Target.closeTarget", {"targetId": target}, wait=False)
        return visit

    def open(self, url: str) -> Page:
        """A new tab on ``url`` (loaded and quiet), kept open: see ``Page``."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, target, session, Visit(url))
        self.send("Fetch.enable", {"patterns": [{"urlPattern": "*"}]}, session)
        for domain in ("Runtime", "Log", "Page"):
            self.send(f"{domain}.enable", {}, session)
        page.navigate(url)
        return page

    def _navigate(self, url: str, session: str, visit: Visit) -> None:
        # the navigation's own request is paused too: its answer comes only once that request is let through
        answer = self.send("Page.navigate", {"url": url}, session, visit=visit)
        assert not answer.get("errorText"), answer

    def _quiet(self, visit: Visit) -> None:
        """Lets late events in (scripts that run after load, requests they make) until the page is quiet."""
        seen = -1
        while seen != len(visit.requested) + len(visit.console):
            seen = len(visit.requested) + len(visit.console)
            try:
                self._pump(lambda: False, timeout=QUIET_S, visit=visit)
            except TimeoutError:
                pass


@dataclass
class Page:
    """A tab kept open (``Browser.open``): scripts run in it one at a time, requests it makes are let through or
    failed as in ``visit``, and what it logs collects in ``visit.console``."""

    browser: Browser
    target: str
    session: str
    visit: Visit

    def navigate(self, url: str) -> None:
        """Opens ``url`` in this tab until it is loaded and quiet."""
        self.visit.url, self.visit.loaded = url, False
        self.browser._navigate(url, self.session, self.visit)
        self.browser._pump(lambda: self.visit.loaded, timeout=30, visit=self.visit)
        self.browser._quiet(self.visit)

    def evaluate(self, expression: str, timeout: float = 30) -> Any:
        """What ``expression`` gives (awaited when it is a promise), by value."""
        answer = self.browser.send(
            "Runtime.evaluate",
            {"expression": expression, "awaitPromise": True, "returnByValue": True},
            self.session,
            timeout=timeout,
            visit=self.visit,
        )
        assert "exceptionDetails" not in answer, answer["exceptionDetails"]
        return answer["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 30) -> Any:
        """The first true value of ``expression``, evaluated every 0.2 s (the page's requests go on meanwhile)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            try:
                self.browser._pump(lambda: False, timeout=0.2, visit=self.visit)
            except TimeoutError:
                pass
        raise AssertionError(f"never true: {expression}; the page logged: {self.visit.console}")

    @property
    def problems(self) -> list[str]:
        """What the page logged as an error or a warning (console, exceptions, the browser's log)."""
        kinds = ("console.error", "console.assert", "console.warning", "exception:", "log.error", "log.warning")
        return [line for line in self.visit.console if line.startswith(kinds)]

    def close(self) -> None:
        self.browser.send("Target.closeTarget", {"targetId": self.target}, wait=False)
