"""P35: the key rotation command re-encrypts every encrypted row under the new field key version;
the pages still render, and still do once the old key is gone (SECURITY.md).

The scenario stores a ciphertext in every encrypted column (selection.maintenance.columns):
the demo round's people, a candidate who signs up over HTTP, a named complaint with a note,
a message to the complainant and online ballots. Keys come from the configuration, as with
``SELECTION_FIELD_KEYS`` in production: the operator adds version 2, restarts, and runs
``keys rotate --to 2``. The last tests take the keys from ``instance/keys.json``, where the
command adds the version itself and a worker started before it follows.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import LargeBinary, select, update

from publicity import supervision
from publicity.complaints import complaint_content, reveal_complainant
from publicity.models import Complaint
from selection.crypto import current_keys, encrypt_field, field_key_version_of
from selection.extensions import db as _db
from selection.maintenance import rotation
from selection.maintenance.columns import ENCRYPTED_COLUMNS
from selection.maintenance.rotation import reencrypt_batch, versions_in_use
from selection.models import AuditEvent, Channel, Notification, Person, Role, Round, User
from selection.notify import queue_to_recipient, reveal_recipient
from selection.record.demo import OPEN_CODE, demo_record, load_open_round
from selection.rules import id_check_digit, mask_id_number
from selection.services import PHONE, person_aad, reveal_id_number, reveal_phone
from tests.vetting.ballot_support import TRANSPORT, cast, close, issue, open_box
from tests.vetting.conftest import DAY
from vetting import ballots
from vetting.models import BallotBox, BallotKind

Login = Callable[[FlaskClient, User], FlaskClient]
KeysWith = Callable[..., dict[str, Any]]

SIGNUP_ID = "11010519880312001" + id_check_digit("11010519880312001")
SIGNUP_PHONE = "13611112222"
COMPLAINANT = {"name": "实名人孙某某", "phone": "13722223333", "email": "sun.p35@example.com"}
CONTENT = "反映该同志违规兼职取酬。"
NOTE = "已电话联系举报人核实情况。"
BALLOTS = 5
#: plaintext binary columns, not field-encrypted: files kept as they were uploaded (see the report), and
#: pre-generated admission tickets (what a ticket prints: name, number, seat; never an ID or phone number)
PLAIN_BINARY_COLUMNS = {"stored_files.data", "complaint_evidence.data", "ticket_files.data"}


@dataclass
class Scenario:
    box_id: int
    complaint_id: int
    notification_id: int
    rows: dict[str, int]


@pytest.fixture
def demo_people(db: SQLAlchemy, store_demo: Callable[..., Round]) -> int:
    """The demo round alone: its people's ID and phone numbers under field key version 1; how many."""
    store_demo()
    people = len(db.session.scalars(select(Person)).all())
    db.session.remove()
    return people


@pytest.fixture
def scenario(app: Flask, db: SQLAlchemy, store_demo: Callable[..., Round], create_account: Callable[..., User], admin: User,
             login_as: Login) -> Scenario:
    """A ciphertext of field key version 1 in every encrypted column."""
    round_ = store_demo()
    load_open_round(today=DAY)
    db.session.commit()
    password = "p35-signup-passphrase"
    signup = app.test_client().post("/signup", data={"name": "赵新人", "id_number": SIGNUP_ID, "phone": SIGNUP_PHONE,
                                                     "email": "", "password": password, "confirm": password})
    assert signup.status_code == 302
    staff_user = create_account(Role.SUPERVISION, "sup-p35")
    staff = login_as(app.test_client(), staff_user)
    filed = staff.post("/supervision/complaints/new?round=DEMO-2026", content_type="multipart/form-data", data={
        "candidate": "C010", "channel": "phone", "received": DAY.isoformat(), "kind": "allegation",
        "named": "named", **COMPLAINANT, "content": CONTENT})
    assert filed.status_code == 200
    complaint = db.session.scalar(select(Complaint).order_by(Complaint.id.desc()))
    supervision.add_note(complaint, NOTE, author=staff_user)
    message = queue_to_recipient(COMPLAINANT["phone"], Channel.SMS, kind="complaint_outcome", subject="结果",
                                 body="您反映的问题已核实。", round_=round_)
    db.session.commit()
    box = open_box(db, round_, BallotKind.RECOMMENDATION, TRANSPORT)
    for token in issue(db, box, BALLOTS):
        cast(db, token, {"C035": "yes"})
    in_use = versions_in_use()
    assert all(set(counts) == {1} for counts in in_use.values()), in_use
    made = Scenario(box.id, complaint.id, message.id,
                    {name: sum(counts.values()) for name, counts in in_use.items()})
    db.session.remove()
    return made


@pytest.fixture
def keys_with(test_config: dict[str, Any]) -> KeysWith:
    """``keys_with(1, 2, current=2)``: config overrides holding those field key versions.

    Version 1 is the test config's own key; version 2 is made once per test.
    """
    keys = {"1": test_config["FIELD_KEYS"]["1"], "2": base64.b64encode(secrets.token_bytes(32)).decode("ascii")}

    def make(*versions: int, current: int) -> dict[str, Any]:
        return {"FIELD_KEYS": {str(v): keys[str(v)] for v in versions}, "FIELD_KEY_VERSION": current}

    return make


def _text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def _assert_everything_opens(app: Flask, scenario: Scenario, login_as: Login) -> None:
    """The pages that decrypt render what was stored, and every ciphertext opens."""
    record = demo_record()
    c001 = next(c for c in record["candidates"] if c["ref"] == "C001")
    with app.app_context():
        admin = _db.session.scalar(select(User).where(User.username == "org-admin"))
        staff = _db.session.scalar(select(User).where(User.username == "sup-p35"))
        candidate = _db.session.scalar(select(User).where(User.role == Role.CANDIDATE))
        registrations = login_as(app.test_client(), admin).get("/exams/rounds/DEMO-2026/registrations")
        assert registrations.status_code == 200
        assert mask_id_number(c001["id_number"]) in _text(registrations)

        supervisor = login_as(app.test_client(), staff)
        page = supervisor.get(f"/supervision/complaints/{scenario.complaint_id}")
        assert page.status_code == 200 and CONTENT in _text(page) and NOTE in _text(page)
        revealed = supervisor.post(f"/supervision/complaints/{scenario.complaint_id}/reveal",
                                   data={"reason": "核实"})
        assert revealed.status_code == 200 and COMPLAINANT["name"] in _text(revealed)

        me = login_as(app.test_client(), candidate)
        assert me.get("/me").status_code == 200
        form = me.get(f"/me/rounds/{OPEN_CODE}/register")
        assert form.status_code == 200 and mask_id_number(SIGNUP_ID) in _text(form)

        assert reveal_recipient(_db.session.get_one(Notification, scenario.notification_id)) == COMPLAINANT["phone"]
        complaint = _db.session.get_one(Complaint, scenario.complaint_id)
        assert complaint_content(complaint) == CONTENT and reveal_complainant(complaint).name == COMPLAINANT["name"]
        for person in _db.session.scalars(select(Person)):
            reveal_id_number(person)
            reveal_phone(person)
        box = _db.session.get_one(BallotBox, scenario.box_id)
        assert ballots.read_box(box).counts["C035"]["yes"] == BALLOTS
        _db.session.remove()


def _keys(app: Flask, *args: str) -> Any:
    """Run ``flask keys ...`` as `app`: in its own app context, not the one the test fixtures pushed."""
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["keys", *args])
        _db.session.remove()
    return result


def _rotate(app: Flask, *args: str) -> Any:
    return _keys(app, "rotate", *args)


# ---------------------------------------------------------------- keys from the configuration


@pytest.mark.db
def test_p35_rotate_reencrypts_every_row_and_the_old_key_can_go(
        make_app: Callable[..., Flask], keys_with: KeysWith, scenario: Scenario, login_as: Login) -> None:
    # Given the operator added field key version 2 and restarted the app on it
    upgraded = make_app(**keys_with(1, 2, current=2))

    # When the rotation runs
    result = _rotate(upgraded, "--to", "2")

    # Then it reports every column, all re-encrypted, nothing left
    assert result.exit_code == 0, result.output
    for name, rows in scenario.rows.items():
        assert f"{name}: {rows} re-encrypted, 0 left" in result.output
    # and every ciphertext row carries version 2, the same rows as before
    with upgraded.app_context():
        after = versions_in_use()
        event = _db.session.scalar(select(AuditEvent).where(AuditEvent.action == "keys.rotate"))
        assert event is not None and event.after["reencrypted"] == scenario.rows
    assert {name: dict(counts) for name, counts in after.items()} == \
        {name: {2: rows} for name, rows in scenario.rows.items() if rows}
    assert all(scenario.rows.values()), "the scenario leaves an encrypted column empty"

    # and with version 1 removed from the configuration everything still decrypts and renders
    _assert_everything_opens(make_app(**keys_with(2, current=2)), scenario, login_as)
    # and the ballots, closed only now, count and verify
    without_v1 = make_app(**keys_with(2, current=2))
    with without_v1.app_context():
        box = _db.session.get_one(BallotBox, scenario.box_id)
        assert close(_db, box)["C035"]["yes"] == BALLOTS and ballots.verify_box(box) == []
        _db.session.remove()


def test_p35_rotate_again_is_harmless_and_retire_waits_for_the_last_row(
        make_app: Callable[..., Flask], keys_with: KeysWith, demo_people: int) -> None:
    upgraded = make_app(**keys_with(1, 2, current=2))
    # retiring version 1 while rows use it is refused
    refused = _keys(upgraded, "retire", "--version", "1")
    assert refused.exit_code != 0 and "still used" in refused.output

    assert _rotate(upgraded, "--to", "2").exit_code == 0
    again = _rotate(upgraded, "--to", "2")
    assert again.exit_code == 0 and "persons.id_number_cipher: 0 re-encrypted, 0 left" in again.output

    status = _keys(upgraded, "status")
    assert status.exit_code == 0 and "new data uses 2" in status.output
    assert f"persons.id_number_cipher: v2: {demo_people}" in status.output
    retired = _keys(upgraded, "retire", "--version", "1")
    assert retired.exit_code == 0 and "remove it from SELECTION_FIELD_KEYS" in retired.output


def test_p35_an_interrupted_rotation_is_finished_by_running_it_again(
        make_app: Callable[..., Flask], keys_with: KeysWith, demo_people: int) -> None:
    upgraded = make_app(**keys_with(1, 2, current=2))
    # Given a rotation stopped after its first batch of ten rows
    with upgraded.app_context():
        [column] = [c for c in ENCRYPTED_COLUMNS if c.name == "persons.id_number_cipher"]
        assert reencrypt_batch(column, limit=10).reencrypted == 10
        _db.session.commit()
        _db.session.remove()

    # When the command runs again, without naming the version
    result = _rotate(upgraded)

    # Then it finishes the rotation to version 2 (adding no version) and nothing is left behind
    assert result.exit_code == 0, result.output
    assert "finishing the rotation to version 2" in result.output
    assert f"persons.id_number_cipher: {demo_people - 10} re-encrypted, 0 left" in result.output
    with upgraded.app_context():
        assert all(set(counts) <= {2} for counts in versions_in_use().values())
        assert set(current_keys().field_keys) == {1, 2}


def test_p35_a_version_the_app_does_not_use_for_new_data_is_refused(
        make_app: Callable[..., Flask], keys_with: KeysWith, demo_people: int) -> None:
    # version 2 is held but new data still uses 1: rows rotated now would be outrun by new ones
    held = make_app(**keys_with(1, 2, current=1))
    not_current = _rotate(held, "--to", "2")
    unknown = _rotate(held, "--to", "3")
    # with nothing to finish and keys from the configuration, the command says what to do
    instructions = _rotate(held)

    assert not_current.exit_code != 0 and "new data uses field key version 1" in not_current.output
    assert unknown.exit_code != 0 and "does not hold version 3" in unknown.output
    assert instructions.exit_code != 0 and "SELECTION_FIELD_KEYS" in instructions.output
    with held.app_context():
        assert all(set(counts) <= {1} for counts in versions_in_use().values())


@pytest.mark.db
def test_p35_a_row_changed_during_a_batch_keeps_its_new_value(
        make_app: Callable[..., Flask], keys_with: KeysWith, demo_people: int,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a batch that, while it re-encrypts a person's phone, sees the person change it
    upgraded = make_app(**keys_with(1, 2, current=2))
    [column] = [c for c in ENCRYPTED_COLUMNS if c.name == "persons.phone_cipher"]
    real = rotation.reencrypt_field
    changed: dict[str, Any] = {}

    def reencrypt_while_a_user_edits(blob: bytes, *, aad: str, keys: Any) -> bytes:
        if not changed:
            uid = aad.rsplit(":", 1)[1]
            changed["uid"], changed["phone"] = uid, "13900001111"
            new = encrypt_field(changed["phone"], aad=person_aad(PHONE, uid), keys=keys)
            with _db.engine.begin() as other:  # another connection: a request of the app
                other.execute(update(Person).where(Person.uid == uid).values(phone_cipher=new))
        return real(blob, aad=aad, keys=keys)

    monkeypatch.setattr(rotation, "reencrypt_field", reencrypt_while_a_user_edits)

    with upgraded.app_context():
        # When the batch runs
        batch = reencrypt_batch(column, limit=1000)
        _db.session.commit()

        # Then that row is not overwritten with the value read before the change
        assert batch.changed_meanwhile == 1 and batch.reencrypted == demo_people - 1
        person = _db.session.scalar(select(Person).where(Person.uid == changed["uid"]))
        assert reveal_phone(person) == changed["phone"]
        _db.session.remove()


@pytest.mark.db
def test_p35_ballots_cast_during_the_rotation_are_all_counted(
        make_app: Callable[..., Flask], keys_with: KeysWith, db: SQLAlchemy, store_demo: Callable[..., Round]) -> None:
    # Given a box holding ballots under version 1, the app now on version 2, and ten more codes
    box = open_box(db, store_demo(), BallotKind.RECOMMENDATION, TRANSPORT)
    for token in issue(db, box, BALLOTS):
        cast(db, token, {"C035": "yes"})
    box_id = box.id
    db.session.remove()
    upgraded = make_app(**keys_with(1, 2, current=2))
    with upgraded.app_context():
        tokens = issue(_db, _db.session.get_one(BallotBox, box_id), 10)
        _db.session.remove()
    failures: list[str] = []

    def vote() -> None:
        # each cast rewrites the box's ballots in key order: the rows the rotation is rewriting too
        for token in tokens:
            with upgraded.app_context():
                try:
                    cast(_db, token, {"C035": "no"})
                except Exception as error:  # noqa: BLE001 - any failure of a voter is the finding
                    failures.append(repr(error))
                finally:
                    _db.session.remove()

    # When the rotation runs in batches of one while voters cast
    voter = threading.Thread(target=vote)
    voter.start()
    result = _rotate(upgraded, "--to", "2", "--batch-size", "1")
    voter.join(120)
    finished = _rotate(upgraded, "--to", "2")  # rows a cast put back under version 1 meanwhile, if any

    # Then every voter was served, the rotation finished, and the box counts every ballot
    assert failures == []
    assert result.exit_code == 0 or "run `keys rotate` again" in result.output, result.output
    assert finished.exit_code == 0, finished.output
    with upgraded.app_context():
        assert dict(versions_in_use()["unit_ballots.sealed"]) == {2: BALLOTS + 10}
        box = _db.session.get_one(BallotBox, box_id)
        assert close(_db, box)["C035"] == {"yes": BALLOTS, "no": 10, "abstain": 0}
        assert ballots.verify_box(box) == []
        _db.session.remove()


# ---------------------------------------------------------------- keys in instance/keys.json


@pytest.fixture
def file_keys() -> dict[str, Any]:
    """Config overrides that leave the field keys to instance/keys.json (generated on first start)."""
    return {"FIELD_KEYS": None, "FIELD_KEY_VERSION": None}


def _file_versions(instance: Path) -> tuple[set[str], int]:
    stored = json.loads((instance / "keys.json").read_text())
    return set(stored["field_keys"]), stored["field_key_version"]


def test_p35_with_keys_in_the_file_rotate_adds_a_version_and_a_running_worker_follows(
        make_app: Callable[..., Flask], file_keys: dict[str, Any], store_demo: Callable[..., Round],
        _instance_path: Path, login_as: Login, create_account: Callable[..., User]) -> None:
    # Given two workers of one installation, keys in instance/keys.json, the demo stored by the first
    worker = make_app(**file_keys)
    with worker.app_context():
        store_demo()
        create_account(Role.ADMIN, "org-admin")
        _db.session.remove()
    command = make_app(**file_keys)

    # When the rotation runs from the second, with no version named
    result = _rotate(command)

    # Then it added version 2 to the file, as the version new data uses, and rotated to it
    assert result.exit_code == 0, result.output
    assert "added field key version 2" in result.output
    assert _file_versions(_instance_path) == ({"1", "2"}, 2)
    with command.app_context():
        assert all(set(counts) <= {2} for counts in versions_in_use().values())

    # and the first worker, started before, reads the new rows (re-reading the file when it meets version 2)
    with worker.app_context():
        assert current_keys().field_key_version == 1
        for person in _db.session.scalars(select(Person)):
            reveal_id_number(person)
        assert current_keys().field_key_version == 2
        _db.session.remove()

    # and once version 1 is retired, the first worker's next request still renders the registrations
    retired = _keys(command, "retire", "--version", "1")
    assert retired.exit_code == 0 and "removed from keys.json" in retired.output
    assert _file_versions(_instance_path) == ({"2"}, 2)
    with worker.app_context():
        admin = _db.session.scalar(select(User).where(User.username == "org-admin"))
        page = login_as(worker.test_client(), admin).get("/exams/rounds/DEMO-2026/registrations")
        assert page.status_code == 200 and set(current_keys().field_keys) == {2}
        _db.session.remove()


def test_p35_a_worker_writes_with_the_new_version_from_its_next_request(
        make_app: Callable[..., Flask], file_keys: dict[str, Any]) -> None:
    worker = make_app(**file_keys)
    command = make_app(**file_keys)
    assert _rotate(command).exit_code == 0

    # the worker's next request (a sign-up) encrypts with version 2 without a restart
    number = "44030519950101002" + id_check_digit("44030519950101002")
    response = worker.test_client().post("/signup", data={
        "name": "钱新", "id_number": number, "phone": "13533334444", "email": "",
        "password": "p35-worker-passphrase", "confirm": "p35-worker-passphrase"})
    assert response.status_code == 302
    with worker.app_context():
        person = _db.session.scalar(select(Person))
        assert field_key_version_of(person.id_number_cipher) == 2
        _db.session.remove()


# ---------------------------------------------------------------- the registry


def test_p35_every_binary_column_is_registered_as_encrypted_or_known_plain() -> None:
    binary = {f"{table.name}.{column.name}" for table in _db.metadata.tables.values()
              for column in table.columns if isinstance(column.type, LargeBinary)}
    registered = {column.name for column in ENCRYPTED_COLUMNS}

    assert binary - PLAIN_BINARY_COLUMNS == registered
