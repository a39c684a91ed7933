"""P30: a person's row holds no plaintext ID or phone number, nor any fragment of one."""

from __future__ import annotations

import pytest
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import text

from selection.services import (
    find_or_create_person,
)
from tests.selection.test_services import ID_NUMBER, PHONE

pytestmark = pytest.mark.db


def test_p30_person_row_holds_no_plaintext(db: SQLAlchemy) -> None:
    find_or_create_person(ID_NUMBER, PHONE)
    db.session.commit()

    row = db.session.execute(text("SELECT * FROM persons")).one()

    stored = b"".join(
        value if isinstance(value, bytes) else str(value).encode() for value in row
    )
    # nor a fragment long enough to tell (a random 8-digit match is ~1e-6 likely)
    for secret in (ID_NUMBER, PHONE, ID_NUMBER[-8:], ID_NUMBER[:8], PHONE[-8:]):
        assert secret.encode() not in stored
