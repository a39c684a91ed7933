"""The full scenario the at-rest and log probes (P30, P31, P36) search afterwards, and the search.

Users act over HTTP against a real werkzeug server, so its access log is captured with the
app's own log: people sign up with known ID and phone numbers and log in with them, staff log
in, a unit votes online with printed codes, someone files a named complaint and another an
anonymous one, supervision staff reveal the named complainant, the outbox delivers a message
to them, and a backup is made. Every logger writes to one file at DEBUG, SQLAlchemy's at INFO
(what ``SQLALCHEMY_ECHO = True`` gives: every statement).

Then `files_to_search` reads the raw bytes of what is kept: the SQLite file, its write-ahead
log and shared memory while the app's connections are open, both again after a checkpoint
(on PostgreSQL: a plain-text pg_dump of the database), the backup file and its decrypted
content, and the log file.
"""

from __future__ import annotations

import hashlib
import http.cookiejar
import io
import json
import logging
import re
import sqlite3
import subprocess
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask
from sqlalchemy import select
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from selection.crypto import open_backup
from selection.extensions import db
from selection.models import Channel, Person, Role, Round, User
from selection.notify import queue_to_recipient
from selection.record.demo import OPEN_CODE, load_open_round
from selection.rules import id_check_digit
from selection.services import reveal_id_number, reveal_phone
from tests.vetting.ballot_support import TRANSPORT, tokens_in_pdf
from tests.vetting.conftest import DAY
from vetting.ballot_rules import grouped

#: three people signing up; the last ID number ends in X and is typed with a lower-case x
SIGNUPS = [
    ("周新一", "11010219850506001", "13811112222"),
    ("吴新二", "31010119870708002", "13922223333"),
    ("郑新三", None, "15033334444"),
]
COMPLAINANT = {"name": "实名举报人冯某某", "phone": "18655556666", "email": "feng.p36@example.com"}
PASSWORDS = {"org-admin": "admin-passphrase-P36-9f1c", "sup-1": "supervision-passphrase-P36-77ab"}
SIGNUP_PASSWORD = "candidate-passphrase-P36-{}"
RECEIPT = re.compile(r'id="receipt">([^<]+)<')


def _id_with_x() -> str:
    """An 18-character ID number whose check digit is X."""
    for serial in range(100, 1000):
        first17 = f"44030519900101{serial:03d}"
        if id_check_digit(first17) == "X":
            return first17 + "X"
    raise AssertionError("no ID number ending in X found")


def signup_people() -> list[tuple[str, str, str]]:
    people = []
    for name, first17, phone in SIGNUPS:
        people.append((name, first17 + id_check_digit(first17) if first17 else _id_with_x(), phone))
    return people


# ---------------------------------------------------------------- a browser


@dataclass
class Browser:
    """A client with its own cookies, talking HTTP to the server; every cookie value it held is kept."""

    base: str
    seen_cookies: set[str]
    jar: http.cookiejar.CookieJar = field(default_factory=http.cookiejar.CookieJar)

    def get(self, path: str) -> tuple[int, bytes]:
        return self._open(urllib.request.Request(self.base + path))

    def post(self, path: str, data: Mapping[str, str]) -> tuple[int, bytes]:
        body = urllib.parse.urlencode(data).encode("utf-8")
        return self._open(urllib.request.Request(self.base + path, data=body, method="POST"))

    def _open(self, request: urllib.request.Request) -> tuple[int, bytes]:
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        try:
            with opener.open(request, timeout=60) as response:
                status, body = response.status, response.read()
        except urllib.error.HTTPError as error:
            with error:
                status, body = error.code, error.read()
        self.seen_cookies.update(cookie.value for cookie in self.jar if cookie.value)
        return status, body


def _text(body: bytes) -> str:
    return body.decode("utf-8")


# ---------------------------------------------------------------- logging


@contextmanager
def logging_to(path: Path) -> Iterator[None]:
    """Every logger at DEBUG into `path`; SQLAlchemy's engine at INFO (each statement, as with echo)."""
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root, engine = logging.getLogger(), logging.getLogger("sqlalchemy.engine")
    levels = (root.level, engine.level)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    engine.setLevel(logging.INFO)
    try:
        yield
    finally:
        root.removeHandler(handler)
        handler.close()
        root.setLevel(levels[0])
        engine.setLevel(levels[1])


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """The app on a real werkzeug server (its access log included), for the block; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(30)


# ---------------------------------------------------------------- the scenario


@dataclass
class Trail:
    """What the scenario leaves behind: the secrets it used, and where the files are."""

    id_numbers: list[str]
    phones: list[str]
    passwords: list[str]
    cookies: list[str]
    ballot_tokens: list[str]
    ballot_receipts: list[str]
    complaint_receipts: list[str]
    complainant: dict[str, str]
    log: Path
    backup: Path
    #: the SQLite file, or None on PostgreSQL
    database: Path | None
    database_url: str
    #: names stored in plain text (candidates.name): the positive control of the search
    plain_names: list[str]


def run_scenario(app: Flask, store_demo: Callable[..., Round], create_account: Callable[..., User],
                 tmp_path: Path) -> Trail:
    """Play the scenario on `app`; the test's app context must be `app`'s."""
    log = tmp_path / "logs" / "app.log"
    log.parent.mkdir()
    cookies: set[str] = set()
    people = signup_people()
    with logging_to(log):
        store_demo()
        load_open_round(today=DAY)
        db.session.commit()
        for username, password in PASSWORDS.items():
            create_account(Role.ADMIN if username == "org-admin" else Role.SUPERVISION, username, password=password)
        db.session.remove()
        with serving(app) as base:
            ballot_tokens, ballot_receipts = _vote(base, cookies)
            complaint_receipts = _complain(base, cookies)
            _sign_up_and_log_in(base, cookies, people)
            _supervise(base, cookies)
        queue_to_recipient(COMPLAINANT["phone"], Channel.SMS, kind="complaint_outcome", subject="举报办理结果",
                           body="您反映的问题已核实办理。")
        db.session.commit()
        _cli(app, "outbox", "deliver")
        backup = tmp_path / "backups" / "after-scenario.backup"
        _cli(app, "backup", "create", "--output", str(backup))
        people_on_file = db.session.scalars(select(Person)).all()
        id_numbers = [reveal_id_number(person) for person in people_on_file]
        phones = [phone for person in people_on_file if (phone := reveal_phone(person))]
        names = list(db.session.scalars(select(User.display_name).where(User.role == Role.CANDIDATE)))
        db.session.remove()
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    assert {number for _name, number, _phone in people} <= set(id_numbers)
    return Trail(
        id_numbers=id_numbers, phones=[*phones, COMPLAINANT["phone"]],
        passwords=[*PASSWORDS.values(), *(SIGNUP_PASSWORD.format(i) for i in range(len(people)))],
        cookies=sorted(cookies), ballot_tokens=ballot_tokens, ballot_receipts=ballot_receipts,
        complaint_receipts=complaint_receipts, complainant=COMPLAINANT, log=log, backup=backup,
        database=Path(url.database) if url.get_backend_name() == "sqlite" else None,
        database_url=app.config["SQLALCHEMY_DATABASE_URI"], plain_names=names)


def _cli(app: Flask, *args: str) -> None:
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output


def _login(base: str, cookies: set[str], username: str, password: str) -> Browser:
    browser = Browser(base, cookies)
    status, _body = browser.post("/login", {"username": username, "password": password})
    assert status == 200 and browser.jar, f"{username} could not log in"
    return browser


def _sign_up_and_log_in(base: str, cookies: set[str], people: list[tuple[str, str, str]]) -> None:
    for i, (name, number, phone) in enumerate(people):
        password = SIGNUP_PASSWORD.format(i)
        browser = Browser(base, cookies)
        status, body = browser.post("/signup", {"name": name, "id_number": number.lower(), "phone": phone,
                                                "email": "", "password": password, "confirm": password})
        assert status == 200 and browser.jar, _text(body)[:500]
        assert browser.get(f"/me/rounds/{OPEN_CODE}/register")[0] == 200
        assert browser.post("/logout", {})[0] == 200
        again = _login(base, cookies, number.lower(), password)
        assert again.get("/me")[0] == 200


def _vote(base: str, cookies: set[str]) -> tuple[list[str], list[str]]:
    admin = _login(base, cookies, "org-admin", PASSWORDS["org-admin"])
    assert admin.get("/exams/rounds/DEMO-2026/registrations")[0] == 200
    boxes = "/vetting/rounds/DEMO-2026/ballots"
    status, body = admin.post(boxes, {"kind": "recommendation", "unit": TRANSPORT})
    box_id = int(re.findall(rf"{boxes}/(\d+)/tokens", _text(body))[0])
    status, pdf = admin.post(f"{boxes}/{box_id}/tokens", {"count": "3"})
    assert status == 200 and pdf.startswith(b"%PDF")
    tokens = tokens_in_pdf(pdf)
    assert len(tokens) == 3
    receipts = []
    for token in tokens:
        voter = Browser(base, cookies)
        assert voter.post("/vote", {"token": token})[0] == 200
        status, body = voter.post("/vote/cast", {"token": token, "choice-C035": "yes"})
        assert status == 200, _text(body)[:500]
        receipts.append(RECEIPT.findall(_text(body))[0].strip())
    assert admin.post(f"{boxes}/{box_id}/close", {})[0] == 200
    assert Browser(base, cookies).get(f"/vote/receipts/{box_id}")[0] == 200
    return tokens, receipts


def _complain(base: str, cookies: set[str]) -> list[str]:
    public = Browser(base, cookies)
    form = "/complaints/DEMO-2026/C010/new"
    assert public.get(form)[0] == 200
    receipts = []
    for fields in ({"identity": "named", **COMPLAINANT}, {"identity": "anonymous"}):
        status, body = public.post(form, {"kind": "allegation", "content": "反映该同志违规经商办企业。", **fields})
        assert status == 200, _text(body)[:500]
        receipts.append(RECEIPT.findall(_text(body))[0].strip())
    status, body = public.post("/complaints/receipt", {"receipt": receipts[1]})
    assert status == 200
    return receipts


def _supervise(base: str, cookies: set[str]) -> None:
    staff = _login(base, cookies, "sup-1", PASSWORDS["sup-1"])
    status, body = staff.get("/supervision/complaints")
    complaint_ids = sorted(set(int(i) for i in re.findall(r"/supervision/complaints/(\d+)", _text(body))))
    assert status == 200 and complaint_ids
    for complaint_id in complaint_ids:
        assert staff.get(f"/supervision/complaints/{complaint_id}")[0] == 200
        # an anonymous complaint has nobody to reveal: refused, which is fine here
        status, body = staff.post(f"/supervision/complaints/{complaint_id}/reveal", {"reason": "需回访核实"})
        assert status < 500


# ---------------------------------------------------------------- the files and the search


def files_to_search(trail: Trail, app: Flask) -> dict[str, bytes]:
    """Every file the scenario left, by name, as raw bytes (SQLite: before and after a checkpoint)."""
    files: dict[str, bytes] = {}
    if trail.database is not None:
        # the app's connections are still open: what the write-ahead log holds has not all reached the file
        for suffix in ("", "-wal", "-shm"):
            path = Path(f"{trail.database}{suffix}")
            files[f"database{suffix}, connections open"] = path.read_bytes() if path.exists() else b""
        with closing(sqlite3.connect(trail.database)) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        for suffix in ("", "-wal"):
            path = Path(f"{trail.database}{suffix}")
            files[f"database{suffix}, after checkpoint"] = path.read_bytes() if path.exists() else b""
    else:
        url = make_url(trail.database_url).set(drivername="postgresql").render_as_string(hide_password=False)
        files["pg_dump --format=plain"] = subprocess.run(["pg_dump", "--format=plain", "--dbname", url],
                                                         check=True, capture_output=True).stdout
    files["backup file"] = trail.backup.read_bytes()
    with app.app_context(), trail.backup.open("rb") as sealed:
        opened = io.BytesIO()
        open_backup(sealed, opened)
    if trail.database is not None:
        files["backup, decrypted"] = opened.getvalue()
    else:  # pg_dump's custom format is compressed: searched as the SQL it restores
        files["backup, decrypted (as SQL)"] = subprocess.run(["pg_restore", "--file=-"], input=opened.getvalue(),
                                                              check=True, capture_output=True).stdout
    files["log file"] = trail.log.read_bytes()
    return files


def encodings(text: str) -> dict[str, bytes]:
    """`text` as the bytes it may be stored or logged as."""
    forms = {"utf-8": text.encode("utf-8"), "utf-16-le": text.encode("utf-16-le"),
             "utf-16-be": text.encode("utf-16-be")}
    if not text.isascii():
        forms["json \\u escapes"] = json.dumps(text)[1:-1].encode("ascii")
        forms["url-encoded"] = urllib.parse.quote(text).encode("ascii")
        forms["url-encoded +"] = urllib.parse.quote_plus(text).encode("ascii")
    return forms


def id_number_forms(number: str) -> list[str]:
    return sorted({number.upper(), number.lower()})


def phone_forms(phone: str) -> list[str]:
    return [phone, f"{phone[:3]} {phone[3:7]} {phone[7:]}", f"{phone[:3]}-{phone[3:7]}-{phone[7:]}"]


def plaintext_needles(trail: Trail) -> dict[str, bytes]:
    """Every ID number (upper and lower x) and phone number, in every encoding: label → bytes."""
    needles: dict[str, bytes] = {}
    for number in trail.id_numbers:
        for form in id_number_forms(number):
            needles.update({f"ID {form} ({enc})": data for enc, data in encodings(form).items()})
    for phone in trail.phones:
        for form in phone_forms(phone):
            needles.update({f"phone {form} ({enc})": data for enc, data in encodings(form).items()})
    return needles


def hash_needles(trail: Trail) -> dict[str, bytes]:
    """MD5, SHA-1 and SHA-256 of every ID number (upper and lower x) and phone: hex lower, hex upper, raw."""
    needles: dict[str, bytes] = {}
    values = [form for number in trail.id_numbers for form in id_number_forms(number)] + trail.phones
    for value in values:
        for algorithm in ("md5", "sha1", "sha256"):
            digest = hashlib.new(algorithm, value.encode("utf-8"))
            needles[f"{algorithm} hex of {value}"] = digest.hexdigest().encode("ascii")
            needles[f"{algorithm} HEX of {value}"] = digest.hexdigest().upper().encode("ascii")
            needles[f"{algorithm} raw of {value}"] = digest.digest()
    return needles


def search(files: Mapping[str, bytes], needles: Mapping[str, bytes]) -> list[tuple[str, str]]:
    """(needle, file) for every needle found in a file."""
    return [(label, name) for name, data in files.items() for label, needle in needles.items() if needle in data]


def scanned(files: Mapping[str, bytes], needles: Iterable[bytes]) -> str:
    """The figure a probe reports: needles × files and bytes."""
    count = len(list(needles))
    return f"{count} needles × {len(files)} files, {sum(len(d) for d in files.values())} bytes"

