"""P22: no input to any form makes the app fail (SECURITY.md P22).

Every POST endpoint of the app's URL map is fuzzed, so a route added anywhere is fuzzed
without touching this file; a route that cannot be fuzzed goes in `NOT_FUZZED`, saying why.
Each endpoint is posted to on the demo round, by a demo account its declaration allows, with
at least 500 generated forms, and every answer must be below 500 and show no traceback.

The forms come from the pages themselves: the GET pages above each endpoint are fetched once
and their ``<form>``s read, so the fuzzer knows the real field names (prefixes and per-row
names included) and a plausible value for each (the hidden ``version`` a stale-edit check
wants, the options of a select). An example keeps most fields plausible and spoils a few,
so it gets past validation often enough to reach the services; where no page shows the
form (the demo round is not at that stage), the field names come from the view's form class.

A last test posts script, attribute and template payloads into the free text that is stored
and shown (round and position titles, an announcement, a display name, a notice, a candidate's
name, a complaint and a note on it, an inspector's note) and reads them back escaped.
"""

from __future__ import annotations

import io
import itertools
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from types import CodeType, FunctionType, ModuleType
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from wtforms import FileField, MultipleFileField
from wtforms.fields.core import UnboundField

from exams import logistics
from publicity import notices
from publicity.models import Complaint, Notice
from selection import create_app, crypto, passwords
from selection.accounts import services as account_services
from selection.auth import PUBLIC, allowed_roles, stamp_session
from selection.extensions import db
from selection.models import Candidate, Position, Role, Round, User
from selection.record.demo import DEMO_ACCOUNTS
from selection.rules import id_check_digit
from tests.conftest import make_test_config
from tests.selection.test_access import _values
from vetting import ballots
from vetting.models import BallotKind

#: POST endpoints left out of the fuzzing, each with the reason (none so far: every form is fuzzed).
NOT_FUZZED: dict[str, str] = {}

#: the demo round's date, pinned so that its windows and deadlines are as the demo expects
TODAY = "2026-11-20"
#: inputs per endpoint: SECURITY.md asks for at least 500; P22_FUZZ_EXAMPLES lowers it for a
#: quick local run (docs/decisions.md, "P22 fuzzing")
EXAMPLES = int(os.environ.get("P22_FUZZ_EXAMPLES", "500"))

pytestmark = pytest.mark.filterwarnings(
    # hypothesis shows a failing example with its arguments and warns when that text is large;
    # as an error (filterwarnings = error) the warning would replace the failure itself
    "ignore:Generating overly large repr",
)

#: Reproducible in CI: the same inputs on every run (`derandomize`), nothing kept between runs.
FUZZ = settings(
    max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
    # One app and one copy of the stored demo serve all the examples of an endpoint: the
    # state the examples leave behind is part of what is fuzzed, and each example restores
    # the session it posts with, so nothing one example does makes the next one invalid.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large],
)

#: the role an endpoint is fuzzed as, when its declaration allows several
ROLE_PREFERENCE = (Role.ADMIN, Role.SUPERVISION, Role.INSPECTOR, Role.COMMITTEE_MEMBER, Role.CANDIDATE)
USERNAMES = {role: next(name for name, (r, _) in DEMO_ACCOUNTS.items() if r is role) for role in Role}


# ---------------------------------------------------------------- the endpoints


def _url_map() -> Map:
    """The app's URL map, built with throwaway keys and folders (no database is opened)."""
    with tempfile.TemporaryDirectory() as instance:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("SELECTION_INSTANCE_PATH", instance)
            app = create_app(make_test_config("sqlite://"))
    return app.url_map


URL_MAP = _url_map()
POST_ENDPOINTS = sorted({rule.endpoint for rule in URL_MAP.iter_rules() if "POST" in (rule.methods or ())})


def test_not_fuzzed_names_only_routes_that_exist() -> None:
    assert set(NOT_FUZZED) <= set(POST_ENDPOINTS)


# ---------------------------------------------------------------- the forms on the pages


@dataclass
class Form:
    """One HTML form: where it posts, its fields with the values the page gives them."""

    action: str
    method: str
    fields: dict[str, list[str]] = field(default_factory=dict)
    files: set[str] = field(default_factory=set)


class _FormReader(HTMLParser):
    """The forms of a page, and the links to downloads (spreadsheet templates) on it."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self.downloads: list[str] = []
        self._form: Form | None = None
        self._options: list[str] | None = None
        self._text: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "a" and re.search(r"\.(xlsx|csv|json)$", a.get("href") or ""):
            self.downloads.append(a["href"] or "")
        if tag == "form":
            self._form = Form(a.get("action") or "", (a.get("method") or "get").lower())
            self.forms.append(self._form)
        if self._form is None or not (name := a.get("name")):
            if tag == "option" and self._options is not None and a.get("value") is not None:
                self._options.append(a["value"] or "")
            return
        values = self._form.fields.setdefault(name, [])
        if tag in ("input", "button"):
            if a.get("type") == "file":
                self._form.files.add(name)
            elif a.get("value") is not None:
                values.append(a["value"] or "")
        elif tag == "select":
            self._options = values
        elif tag == "textarea":
            values.append("")
            self._text = values

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text[-1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._options = None
        elif tag == "textarea":
            self._text = None


@dataclass
class Target:
    """An endpoint to fuzz: who posts, to which URLs, with which fields and files."""

    endpoint: str
    username: str | None
    urls: list[str]
    fields: dict[str, list[str]]
    files: dict[str, list[bytes]]


@dataclass(repr=False)
class Site:
    """The stored demo round every endpoint test copies, and what its pages show."""

    config: dict[str, Any]
    database: Path
    targets: dict[str, Target]

    def __repr__(self) -> str:
        # short: a failing example is shown with its arguments
        return f"Site({self.database.name}, {len(self.targets)} endpoints)"


def _role_for(declared: Any) -> Role | None:
    if declared is PUBLIC:
        return None
    return next(role for role in ROLE_PREFERENCE if role in declared)


def _login(app: Flask, client: Any, username: str | None) -> None:
    if username is None:
        return
    with app.app_context():
        user_id = db.session.scalars(select(User).where(User.username == username)).one().get_id()
    with client.session_transaction() as session:
        session["_user_id"] = user_id
        stamp_session(session)


def _variants(app: Flask, rule: Rule) -> list[str]:
    """The rule's URL on the sample values, and on every round and position of the demo."""
    with app.app_context():
        values, missing = _values(rule)
        if missing:
            return []
        combos = [values]
        if "code" in values:
            positions = db.session.execute(select(Round.code, Position.code).join(Position.round)).all()
            if "position" in values:
                combos += [{**values, "code": code, "position": p} for code, p in positions]
            elif "ref" in values:  # a candidate's own page (the complaint form): every candidate of the demo
                refs = db.session.scalars(select(Candidate.ref).join(Candidate.round)
                                          .where(Round.code == values["code"]).order_by(Candidate.ref))
                combos += [{**values, "ref": ref} for ref in refs]
            else:
                combos += [{**values, "code": code} for code in sorted({code for code, _p in positions})]
    adapter = app.url_map.bind("localhost")
    return list(dict.fromkeys(adapter.build(rule.endpoint, combo) for combo in combos))


def _parents(rule: Rule, rules: list[Rule]) -> list[Rule]:
    """GET rules at or above `rule`'s path: the pages its form can be on."""
    path = rule.rule
    return [r for r in rules if "GET" in (r.methods or ()) and (path == r.rule or path.startswith(r.rule.rstrip("/") + "/"))
            and r.rule != "/"]


#: the app's own packages: helpers there are followed when looking for a view's form class
PACKAGES = ("selection", "exams", "vetting", "publicity")


def _class_fields(view: Callable[..., Any]) -> tuple[dict[str, list[str]], set[str]]:
    """Field names of the form classes the view, or a helper it calls, builds."""
    found: list[Any] = []
    seen: set[CodeType] = set()

    def walk(code: CodeType, namespace: dict[str, Any], depth: int) -> None:
        if code in seen:
            return
        seen.add(code)
        modules = [value for value in namespace.values() if isinstance(value, ModuleType)]
        for name in code.co_names:
            # a name of the module, or an attribute of a module it uses (``forms.NoteForm``)
            found.append(namespace.get(name))
            found.extend(getattr(module, name, None) for module in modules)
            helper = namespace.get(name)
            if depth < 2 and isinstance(helper, FunctionType) and helper.__module__.startswith(PACKAGES):
                walk(helper.__code__, helper.__globals__, depth + 1)
        for const in code.co_consts:
            if isinstance(const, CodeType):
                walk(const, namespace, depth)

    walk(view.__code__, view.__globals__, 0)
    fields: dict[str, list[str]] = {}
    files: set[str] = set()
    for cls in found:
        if isinstance(cls, type) and issubclass(cls, FlaskForm):
            for field_name in dir(cls):
                unbound = getattr(cls, field_name)
                if isinstance(unbound, UnboundField):
                    fields.setdefault(field_name, [])
                    if issubclass(unbound.field_class, (FileField, MultipleFileField)):
                        files.add(field_name)
    return fields, files


def _harvest(app: Flask) -> dict[str, Target]:
    """For every POST endpoint: the forms posting to it on the pages above it."""
    rules = list(app.url_map.iter_rules())
    adapter = app.url_map.bind("localhost")
    pages: dict[tuple[str | None, str], _FormReader] = {}
    downloads: dict[str, bytes] = {}
    targets: dict[str, Target] = {}
    clients: dict[str | None, Any] = {}
    for rule in sorted(rules, key=lambda r: r.endpoint):
        if "POST" not in (rule.methods or ()) or rule.endpoint in NOT_FUZZED or rule.endpoint in targets:
            continue
        view = app.view_functions[rule.endpoint]
        role = _role_for(allowed_roles(view))
        username = USERNAMES[role] if role else None
        if username not in clients:
            clients[username] = app.test_client()
            _login(app, clients[username], username)
        client = clients[username]
        target = Target(rule.endpoint, username, [], {}, {})
        for parent in _parents(rule, rules):
            if not (allowed_roles(app.view_functions[parent.endpoint]) is PUBLIC
                    or (role and role in allowed_roles(app.view_functions[parent.endpoint]))):
                continue
            for page in _variants(app, parent):
                if (username, page) not in pages:
                    reader = _FormReader()
                    response = client.get(page)
                    if response.mimetype == "text/html":
                        reader.feed(response.get_data(as_text=True))
                    pages[username, page] = reader
                reader = pages[username, page]
                for form in reader.forms:
                    action = urlsplit(form.action).path or page
                    if form.method != "post":
                        continue
                    try:
                        endpoint, _args = adapter.match(action, method="POST")
                    except HTTPException:
                        continue
                    if endpoint != rule.endpoint:
                        continue
                    target.urls.append(action)
                    for name, values in form.fields.items():
                        target.fields.setdefault(name, []).extend(values)
                    for name in form.files:
                        files = target.files.setdefault(name, [])
                        for link in reader.downloads:
                            if link not in downloads:
                                downloads[link] = client.get(link).data
                            files.append(downloads[link])
        if not target.urls:
            target.urls = _variants(app, rule)[:1]
            fields, files = _class_fields(view)
            target.fields = fields
            target.files = {name: [] for name in files}
            for name in files:
                target.fields.pop(name, None)
        target.urls = list(dict.fromkeys(target.urls))
        target.fields = {name: list(dict.fromkeys(values)) for name, values in target.fields.items()}
        targets[rule.endpoint] = target
    return targets


@pytest.fixture(scope="module", autouse=True)
def _fast_hashing() -> Iterator[None]:
    """argon2 and scrypt doing the least work, for this module only: they are slow on purpose
    (P01, P43), thousands of logins and complaints here would only wait on them, and what the
    fuzzing judges (the answer is below 500) does not depend on their cost."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        patch.setattr(crypto, "_SCRYPT_N", 2**4)
        account_services._dummy_hash.cache_clear()  # made, and kept, by the hasher of the day
        yield
        account_services._dummy_hash.cache_clear()


def _set_up_the_rest(app: Flask) -> None:
    """What the demo leaves out but some forms are only shown with: an exam venue with a room,
    a draft notice, and an online evaluation ballot at the unit of a P06 candidate (P06 awaits
    its evaluation ballots)."""
    with app.app_context():
        round_ = db.session.scalars(select(Round).where(Round.code == "DEMO-2026")).one()
        admin = db.session.scalars(select(User).where(User.username == USERNAMES[Role.ADMIN])).one()
        venue = logistics.add_venue(round_, "第一中学", "人民路1号", seen_version=round_.version_id, actor=admin)
        logistics.add_room(venue, "第一考场", 40, seen_version=round_.version_id, actor=admin)
        notices.create_notice(round_, "results", "公告", "正文", actor=admin.username)
        unit = next(c.unit for c in round_.candidates if c.position.code == "P06")
        ballots.open_ballot_box(round_, kind=BallotKind.EVALUATION, unit=unit, actor=admin.username,
                                today=date.fromisoformat(TODAY))
        db.session.commit()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, _sqlite_template: Path) -> Site:
    """The demo round stored once, and the forms of its pages read once, for every endpoint."""
    database = tmp_path_factory.mktemp("p22") / "demo.db"
    shutil.copyfile(_sqlite_template, database)
    config = make_test_config(f"sqlite:///{database}", TODAY=TODAY)
    app = create_app(config)
    assert app.test_cli_runner().invoke(args=["demo", "load"]).exit_code == 0
    _set_up_the_rest(app)
    targets = _harvest(app)
    with app.app_context():
        db.engine.dispose()
    return Site(config, database, targets)


# ---------------------------------------------------------------- what the fuzzer sends

HUGE = [c * 10_000 for c in ("x", "中", "9", "<", "\u202e")]
PAYLOADS = [
    "<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "{{7*7}}", "{% for %}", "${7*7}",
    "javascript:alert(1)", "' OR '1'='1", "\"; DROP TABLE users; --", "%", "_", "\\", "%00", "' --",
    "\x00", "a\x00b", "\r\n", "\t", "\x1b[31m", "\u2028", "\ufeff", "\u200b", "\u202eRTL", "مرحبا", "שלום",
    "\\ud800", "\\udfff", "%ED%A0%80", "💥", "e\u0301", "Ａ", "   ", "null", "None", "true", "[]", "{}",
    "../../etc/passwd", "C017", "DEMO-2026", "P03", "admin",
]
NUMBERS = [
    "0", "-0", "-1", "1", "00", "0.0", "-0.0", "1e309", "-1e309", "1e-400", "nan", "NaN", "inf", "-inf",
    "2147483647", "2147483648", "-2147483649", "9223372036854775807", "9223372036854775808",
    "1" + "0" * 40, "-" + "9" * 40, "0x10", "1_000", "1,5", "٣", "１２", "3.5", "100.000001", "99.995", "1e3",
]
DATES = [
    "2026-02-30", "2026-13-01", "0000-00-00", "0001-01-01", "9999-12-31", "10000-01-01", "2026-1-1",
    "20261120", "2026/11/20", "2026-11-20T25:61", "-2026-01-01", "2026-11-20 09:00", "2026-11-20T09:00",
    "09:00", "24:00", "99:99", "2026-W47", "1970-01-01", "2026-11-20", "2038-01-19T03:14:08",
]
TRICKY_KEYS = ["csrf_token", "version", "remove", "__proto__", "_method", "submit", "id", "ref", "", "a[]",
               "code", "round_id", "user_id", "role", "next"]
PLAUSIBLE = ["", "1", "测试 test", TODAY, "90", "C017"]
MAGIC = [b"", b"%PDF-1.4\n", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0", b"PK\x03\x04", b"GIF89a",
         b"\xef\xbb\xbf", b"MZ", b"<?xml", b"{\"a\": 1}", b"id,name\n"]
FILENAMES = ["a.pdf", "a.png", "a.jpg", "a.xlsx", "a.csv", "a.json", "", "../../x.pdf", "中文.pdf",
             "a.pdf\x00.exe", "a.exe", "a" * 300 + ".pdf", "A.PDF"]
CONTENT_TYPES = ["application/pdf", "image/png", "image/jpeg", "application/octet-stream", "text/csv",
                 "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "text/html", ""]

junk = st.one_of(
    st.just(""),
    st.sampled_from(HUGE),
    st.text(max_size=24),
    st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), max_size=12),
    st.sampled_from(NUMBERS),
    st.integers().map(str),
    st.floats().map(str),
    st.sampled_from(DATES),
    st.sampled_from(PAYLOADS),
)
junk_values = st.one_of(junk, st.lists(junk, min_size=2, max_size=3))


def _upload(content: bytes, name: str, kind: str) -> tuple[io.BytesIO, str, str]:
    return io.BytesIO(content), name, kind


junk_file = st.builds(_upload, st.builds(bytes.__add__, st.sampled_from(MAGIC), st.binary(max_size=64)),
                      st.sampled_from(FILENAMES), st.sampled_from(CONTENT_TYPES))


def _files(real: list[bytes]) -> st.SearchStrategy[Any]:
    choices = [junk_file, st.lists(junk_file, min_size=2, max_size=3)]
    if real:
        choices.insert(0, st.builds(_upload, st.sampled_from(real), st.just("template.xlsx"),
                                    st.just(CONTENT_TYPES[5])))
    return st.one_of(choices)


def form_data(target: Target) -> st.SearchStrategy[MultiDict[str, Any]]:
    """A form: most fields plausible, a few spoilt or left out, perhaps some extra keys."""
    names = sorted(target.fields)
    file_names = sorted(target.files)

    @st.composite
    def build(draw: Any) -> MultiDict[str, Any]:
        spoilt = draw(st.sets(st.sampled_from(names), max_size=len(names))) if names else set()
        omitted = draw(st.sets(st.sampled_from(names), max_size=2)) if names else set()
        form: MultiDict[str, Any] = MultiDict()
        for name in names:
            if name in omitted:
                continue
            if name in spoilt:
                value = draw(junk_values)
            else:
                value = draw(st.sampled_from(target.fields[name] or PLAUSIBLE))
            for one in value if isinstance(value, list) else [value]:
                form.add(name, one)
        for name in file_names:
            upload = draw(_files(target.files[name]))
            for one in upload if isinstance(upload, list) else [upload]:
                form.add(name, one)
        for key, value in draw(st.dictionaries(st.one_of(st.sampled_from(TRICKY_KEYS), st.text(max_size=12)),
                                               junk, max_size=2)).items():
            form.add(key, value)
        return form

    return build()


def raw_body(target: Target) -> st.SearchStrategy[bytes]:
    """A urlencoded body whose values are arbitrary bytes (invalid UTF-8 and all)."""
    keys = st.sampled_from(sorted(target.fields) or TRICKY_KEYS)
    return st.lists(st.tuples(keys, st.binary(max_size=32)), max_size=6).map(
        lambda pairs: urlencode([(k.encode(), v) for k, v in pairs]).encode("ascii"))


# ---------------------------------------------------------------- the test


@pytest.fixture
def fuzzed_app(site: Site, tmp_path: Path) -> Iterator[Flask]:
    """A fresh copy of the stored demo, and an app on it with the site's keys."""
    database = tmp_path / "demo.db"
    shutil.copyfile(site.database, database)
    app = create_app({**site.config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}"})
    yield app
    with app.app_context():
        db.engine.dispose()


_addresses = itertools.count(1)


def _address() -> str:
    """A new client address per example, so per-address rate limits never end the fuzzing early."""
    n = next(_addresses)
    return f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"


@pytest.fixture
def new_client(site: Site, fuzzed_app: Flask, endpoint: str) -> Callable[[], Any]:
    """Factory: a client logged in as the endpoint's poster (a fresh cookie jar each time)."""
    client = fuzzed_app.test_client()
    _login(fuzzed_app, client, site.targets[endpoint].username)
    cookie = client.get_cookie("session")

    def new() -> Any:
        fresh = fuzzed_app.test_client()
        if cookie is not None:
            fresh.set_cookie("session", cookie.value)
        return fresh

    return new


@pytest.mark.parametrize("endpoint", [e for e in POST_ENDPOINTS if e not in NOT_FUZZED])
@FUZZ
@given(data=st.data())
def test_p22_every_post_endpoint_answers_any_form_without_failing(
        site: Site, new_client: Callable[[], Any], endpoint: str, data: st.DataObject) -> None:
    target = site.targets[endpoint]
    client = new_client()
    url = data.draw(st.sampled_from(target.urls), label="url")

    if data.draw(st.integers(0, 9), label="raw") == 0:
        response = client.post(url, data=data.draw(raw_body(target), label="body"),
                               content_type="application/x-www-form-urlencoded",
                               environ_base={"REMOTE_ADDR": _address()})
    else:
        response = client.post(url, data=data.draw(form_data(target), label="form"),
                               environ_base={"REMOTE_ADDR": _address()})

    assert response.status_code < 500
    assert b"Traceback" not in response.data


# ---------------------------------------------------------------- stored text comes back escaped

#: script, an attribute break-out and a template expression, in one value
PAYLOAD = '<script>alert(1)</script>"><img src=x onerror=alert(1)>A{{7*7}}Z'
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _shown_escaped(client: Any, url: str) -> None:
    """The page shows the payload as text: escaped, the expression not evaluated."""
    response = client.get(url)
    html = response.get_data(as_text=True)
    assert response.status_code == 200, url
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "A{{7*7}}Z" in html, f"{url} does not show it"
    assert "<script>alert(1)</script>" not in html and "<img src=x onerror=alert(1)>" not in html, url
    assert "A49Z" not in html, url


def _logged_in(app: Flask, username: str | None) -> Any:
    client = app.test_client()
    _login(app, client, username)
    return client


def test_p22_stored_text_comes_back_escaped(app: Flask, runner: Any) -> None:
    # Given the demo rounds (DEMO-OPEN is open for registration, C010 is in publicity) and their accounts
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    admin, supervision = _logged_in(app, "demo-admin"), _logged_in(app, "demo-supervision")
    inspector, anonymous = _logged_in(app, "demo-inspector"), app.test_client()

    # a round's title, its announcement, and a position's title and unit
    admin.post("/rounds/new", data={"code": "XSS", "title": PAYLOAD, "cutoff_date": "2026-12-31",
                                    "registration_opens": "2026-11-01", "registration_closes": "2026-12-30"})
    with app.app_context():
        version = db.session.scalar(select(Round.version_id).where(Round.code == "XSS"))
    admin.post("/rounds/XSS/positions/new", data={"code": "X1", "title": PAYLOAD, "unit": PAYLOAD, "posts": "1",
                                                  "version": version})
    with app.app_context():
        version = db.session.scalar(select(Round.version_id).where(Round.code == "XSS"))
    admin.post("/rounds/XSS/publish", data={"announcement": PAYLOAD, "version": version})
    for client, url in ((admin, "/"), (admin, "/rounds/XSS"), (anonymous, "/"), (anonymous, "/open/XSS")):
        _shown_escaped(client, url)

    # an account's display name
    admin.post("/admin/users/new", data={"username": "xss-user", "display_name": PAYLOAD, "role": "inspector"})
    _shown_escaped(admin, "/admin/users")

    # a notice's heading and text, as a draft and once published
    admin.post("/notices/admin/rounds/DEMO-2026", data={"kind": "results", "title": PAYLOAD, "body": PAYLOAD})
    with app.app_context():
        notice_id = db.session.scalar(select(Notice.id).order_by(Notice.id.desc()))
    _shown_escaped(admin, f"/notices/admin/rounds/DEMO-2026/{notice_id}")
    admin.post(f"/notices/admin/rounds/DEMO-2026/{notice_id}/publish")
    _shown_escaped(anonymous, f"/notices/{notice_id}")

    # a candidate's name, signed up and registered
    candidate = app.test_client()
    number = "11010119900307003" + id_check_digit("11010119900307003")
    candidate.post("/signup", data={"name": PAYLOAD, "id_number": number, "phone": "13912345678",
                                    "password": "a-long-passphrase-2026", "confirm": "a-long-passphrase-2026"})
    checked = candidate.post("/me/rounds/DEMO-OPEN/register", data={
        "version": "", "position": "Q01", "name": PAYLOAD, "sex": "male", "birth_date": "1990-03-07",
        "education": "bachelor", "unit": PAYLOAD, "current_post": "预算科副科长", "current_post_since": "2021-03-01",
        "rank": "副科级", "rank_since": "2020-01-01"})
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', checked.get_data(as_text=True))
    assert token, "the registration was not accepted for checking"
    candidate.post("/me/rounds/DEMO-OPEN/register", content_type="multipart/form-data", data={
        "token": token.group(1), "endorsement_mode": "upload", "endorsement_unit": PAYLOAD,
        "endorsement_date": "2026-11-19", "endorsement_document": "财党函〔2026〕8号",
        "letter": (io.BytesIO(PDF), "letter.pdf")})
    _shown_escaped(candidate, "/me")
    _shown_escaped(admin, "/exams/rounds/DEMO-OPEN/registrations")

    # a complaint's text, and the supervision office's note on it
    anonymous.post("/complaints/DEMO-2026/C010/new", data={"kind": "allegation", "content": PAYLOAD,
                                                           "identity": "anonymous"})
    with app.app_context():
        complaint_id = db.session.scalar(select(Complaint.id).order_by(Complaint.id.desc()))
    supervision.post(f"/supervision/complaints/{complaint_id}/notes", data={"body": PAYLOAD})
    page = supervision.get(f"/supervision/complaints/{complaint_id}").get_data(as_text=True)
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 2  # the text and the note
    _shown_escaped(supervision, f"/supervision/complaints/{complaint_id}")

    # an inspector's note on a declared conflict of interest
    inspector.post("/inspect/DEMO-2026/P03/conflicts", data={"candidate": "C018", "reason": "kinship",
                                                             "note": PAYLOAD})
    _shown_escaped(inspector, "/inspect/DEMO-2026/P03/conflicts")
