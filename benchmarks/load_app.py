"""The app as gunicorn serves it for benchmarks/bench_load.py, plus the two baselines.

`create_app()` is `selection.create_app()` with one more blueprint, `bench`, registered after
everything else; it lives here, in benchmarks/, so no deployment can ever reach its routes
(gunicorn serves ``selection:create_app()`` in production, which never imports this module):

* ``GET /_bench/hello`` answers "Hello, world!". It goes through every hook a page goes
  through (the access guard and session check, Flask-Login, CSRF, the limiter, the language
  and security-header hooks): the fastest any page of this app can be on this server, the
  "stack's limit" the pages are measured against.
* ``POST /_bench/insert`` inserts one row into a tiny table of its own and commits: the
  fastest any submission that stores something can be. Exempt from CSRF, like nothing else.

Run as a script it prepares what the registration load needs (``prepare``): the tiny table,
and `count` candidate accounts, each with its own person and a valid ID number, logged in
(a session cookie with its CSRF token) and holding the signed check-step token of a
registration in DEMO-OPEN, so that the benchmark times the submission alone. Passwords are
never hashed here (no login happens with them): one fixed hash serves every account.
"""

from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path

from flask import Blueprint, Flask
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, func, insert

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from selection import create_app as create_selection_app  # noqa: E402
from selection.auth import public  # noqa: E402
from selection.extensions import csrf, db  # noqa: E402

#: the bare insert's table: its own metadata, so neither Alembic nor the app's schema sees it
_metadata = MetaData()
bench_rows = Table("bench_inserts", _metadata,
                   Column("id", Integer, primary_key=True),
                   Column("note", String(40), nullable=False),
                   Column("at", DateTime, nullable=False, server_default=func.now()))

bp = Blueprint("bench", __name__, url_prefix="/_bench")


@bp.get("/hello")
@public
def hello() -> str:
    return "Hello, world!"


@bp.post("/insert")
@public
@csrf.exempt
def insert_row() -> tuple[str, int]:
    db.session.execute(insert(bench_rows).values(note="bench"))
    db.session.commit()
    return "stored", 201


def create_app() -> Flask:
    app = create_selection_app()
    app.register_blueprint(bp)
    return app


# ---------------------------------------------------------------- preparing the registration load

#: the DEMO-OPEN position registered for: no years-in-rank requirement, 45 at most, associate degree
POSITION = "Q03"
USER_AGENT = "bench-load/1"


def id_number(serial: int) -> tuple[str, date, str]:
    """A valid ID number (GB 11643), distinct for each `serial` below 365,000: the birth date walks
    through 1980–1990 and the three-digit sequence counts up; odd sequences are men."""
    from selection.rules import id_check_digit

    day, sequence = divmod(serial, 1000)
    born = date(1981, 1, 1) + timedelta(days=day % 3650)
    region = 110101 + day // 3650
    first17 = f"{region:06d}{born:%Y%m%d}{sequence:03d}"
    return first17 + id_check_digit(first17), born, "male" if sequence % 2 else "female"


def prepare(count: int) -> list[dict[str, str]]:
    """The tiny table, and `count` logged-in candidates ready to submit; one request each."""
    from flask import session
    from flask_wtf.csrf import generate_csrf
    from itsdangerous import URLSafeTimedSerializer

    from exams.registration import RegistrationDetails
    from selection.auth import start_session
    from selection.models import Role, User
    from selection.passwords import hash_password
    from selection.record.demo import OPEN_CODE
    from selection.record.store import find_round
    from selection.services import find_or_create_person

    app = create_app()
    requests: list[dict[str, str]] = []
    with app.app_context():
        _metadata.create_all(db.engine)
        round_ = find_round(OPEN_CODE)
        assert round_ is not None, "the demo's open round is missing"
        password_hash = hash_password("bench-load-not-for-login")
        users = []
        for serial in range(count):
            number, born, sex = id_number(serial)
            person = find_or_create_person(number, f"139{serial:08d}")
            user = User(username=f"bench{serial:07d}", display_name=f"考生{serial}", password_hash=password_hash,
                        role=Role.CANDIDATE, person_id=person.id)
            db.session.add(user)
            users.append((user, born, sex))
        db.session.commit()
        prepared = [(user.id, born, sex) for user, born, sex in users]
        code = round_.code
    signer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="self-registration")
    cookies = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    for user_id, born, sex in prepared:
        # a context of its own for each: Flask-WTF keeps the CSRF token in `g` for the context
        with app.test_request_context("/", environ_base={"REMOTE_ADDR": "127.0.0.1", "HTTP_USER_AGENT": USER_AGENT}):
            user = db.session.get(User, user_id)
            assert user is not None
            details = RegistrationDetails(
                position=POSITION, name=user.display_name, sex=sex, birth_date=born, education="bachelor",
                unit="市财政局", current_post="科长", current_post_since=date(2021, 3, 1), rank="正科级",
                rank_since=date(2020, 1, 1))
            start_session(user)
            form = {"csrf_token": generate_csrf(),
                    "token": signer.dumps({"round": code, "user": user.id, "version": None,
                                           "details": details.as_json()}),
                    "endorsement_mode": "unit_sends"}
            requests.append({"cookie": f"session={cookies.dumps(dict(session))}", "form": form})
    return requests


def main(argv: list[str]) -> None:
    import json

    if argv[:1] != ["prepare"] or len(argv) != 3:
        raise SystemExit("usage: load_app.py prepare COUNT OUT.json")
    Path(argv[2]).write_text(json.dumps(prepare(int(argv[1]))), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
