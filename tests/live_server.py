"""A real server for the load and fault probes (SECURITY.md P50a, P50d): gunicorn, a browser, forms.

The Flask test client runs one request at a time in the test's own process; lost updates,
a locked SQLite file or a half-written transaction only show with several server processes
writing at once, or with a process killed mid-write. `start_server` runs gunicorn on the
test's database with the test's keys; `Browser` is a small HTTP client with a cookie jar
that reads forms (CSRF token and hidden version included) the way a user's browser does.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).parent / "gunicorn"
#: keys.json names the keys in lower case (selection/keys.py)
_KEY_NAMES = ("SECRET_KEY", "FIELD_KEYS", "FIELD_KEY_VERSION", "BLIND_INDEX_KEY", "AUDIT_KEY", "RECEIPT_PEPPER")


# ---------------------------------------------------------------- the server


@dataclass
class LiveServer:
    """A gunicorn process serving the app at `url`; its output goes to `log`."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        """Stop gracefully (SIGTERM), or kill after 10 s; safe to call twice."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def kill(self) -> None:
        """SIGKILL the master and its workers at once: no request finishes, nothing is flushed."""
        if self.process.poll() is None:
            # the workers are in the master's process group (start_new_session below)
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def write_keys(instance: Path, config: Mapping[str, Any]) -> None:
    """The test app's keys as the server's ``instance/keys.json``, so both read the same data."""
    instance.mkdir(parents=True, exist_ok=True)
    keys = {name.lower(): config[name] for name in _KEY_NAMES}
    (instance / "keys.json").write_text(json.dumps(keys), encoding="utf-8")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(database_url: str, instance: Path, *, workers: int = 4, threads: int = 2,
                 env: Mapping[str, str] | None = None, ready_within: float = 30.0) -> LiveServer:
    """gunicorn on `database_url` with the instance folder `instance` (keys.json written first).

    Returns once ``/login`` answers 200; raises (after killing it) if it does not within
    `ready_within` seconds.
    """
    environment = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "FLASK_DEBUG")}
    environment.update({"DATABASE_URL": database_url, "SELECTION_INSTANCE_PATH": str(instance),
                        "PYTHONUNBUFFERED": "1", **(env or {})})
    port = free_port()
    log = instance / f"gunicorn-{port}.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [str(GUNICORN), "--workers", str(workers), "--threads", str(threads), "--bind", f"127.0.0.1:{port}",
             "--graceful-timeout", "5", "--log-level", "warning", "selection:create_app()"],
            cwd=ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    server = LiveServer(f"http://127.0.0.1:{port}", process, log)
    deadline = time.monotonic() + ready_within
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            if Browser(server.url).get("/login").status == 200:
                return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError(f"gunicorn did not answer within {ready_within} s:\n{server.output()}")


# ---------------------------------------------------------------- a browser


@dataclass(frozen=True)
class Reply:
    status: int
    location: str
    body: str


@dataclass
class Form:
    """One ``<form method="post">`` of a page: where it goes and the values a browser would send."""

    action: str
    fields: dict[str, str] = field(default_factory=dict)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._chosen = False  # the select has a selected option (else its first one counts)
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "get").lower() == "post":
            self._form = Form(a.get("action", ""))
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "option" and self._select is not None:
            if "selected" in a or (self._select not in self._form.fields and not self._chosen):
                self._form.fields[self._select] = a.get("value", "")
                self._chosen = self._chosen or "selected" in a
        elif "name" not in a:
            return
        elif tag == "input" and a.get("type", "text") not in ("submit", "button", "file"):
            if a.get("type") not in ("checkbox", "radio") or "checked" in a:
                self._form.fields[a["name"]] = a.get("value", "")
        elif tag == "select":
            self._select, self._chosen = a["name"], False
        elif tag == "textarea":
            self._textarea = a["name"]
            self._form.fields[a["name"]] = ""

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        if self._form is not None and self._textarea is not None:
            self._form.fields[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def forms_of(page: str) -> list[Form]:
    """The POST forms of an HTML page, each with the values a browser would submit unchanged."""
    parser = _FormParser()
    parser.feed(page)
    return parser.forms


def form_with(page: str, name: str) -> Form:
    """The page's POST form that has a field `name`."""
    found = [form for form in forms_of(page) if name in form.fields]
    if not found:
        raise AssertionError(f"no form with a field {name!r} on the page")
    return found[0]


class Browser:
    """One user's browser: a cookie jar, a fresh connection per request, redirects not followed."""

    def __init__(self, base_url: str, *, timeout: float = 30.0) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.timeout = timeout
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: Mapping[str, str] | None = None) -> Reply:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            sent = dict(headers or {})
            if self.cookies:
                sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            data = response.read()
            for header, value in response.getheaders():
                if header.lower() == "set-cookie":
                    name, _sep, rest = value.partition("=")
                    self.cookies[name.strip()] = rest.split(";", 1)[0]
            return Reply(response.status, response.getheader("Location") or "",
                         data.decode("utf-8", errors="replace"))
        finally:
            connection.close()

    def get(self, path: str) -> Reply:
        return self.request("GET", path)

    def post(self, path: str, fields: Mapping[str, str]) -> Reply:
        return self.request("POST", path, urlencode(fields).encode("utf-8"),
                            {"Content-Type": "application/x-www-form-urlencoded"})

    def post_file(self, path: str, fields: Mapping[str, str], name: str, filename: str, data: bytes) -> Reply:
        """POST a form with one file, as multipart/form-data."""
        boundary = secrets.token_hex(16)
        parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
                 for key, value in fields.items()]
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     f"Content-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        return self.request("POST", path, b"".join(parts),
                            {"Content-Type": f"multipart/form-data; boundary={boundary}"})

    def submit(self, page_path: str, form: Form) -> Reply:
        return self.post(form.action or page_path, form.fields)

    def log_in(self, username: str, password: str) -> None:
        """Through the login form, CSRF token and all; raises unless the server lets the user in."""
        page = self.get("/login")
        form = form_with(page.body, "password")
        form.fields.update(username=username, password=password)
        reply = self.submit("/login", form)
        if reply.status != 302 or "/login" in reply.location:
            raise AssertionError(f"login of {username} refused: HTTP {reply.status}")
