"""P32: registering the same ID number again, in any spelling, is refused as a duplicate."""

from __future__ import annotations

import pytest
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from selection.models import Person, User
from selection.services import find_or_create_person
from selection.signup import SignupRefused, sign_up
from tests.selection.test_services import ID_NUMBER
from tests.selection.test_signup import ID, X_ID, details


@pytest.mark.db
@pytest.mark.parametrize("spelling", [ID, f" {ID[:6]} {ID[6:14]} {ID[14:]} ", ID.translate(str.maketrans("0123456789", "０１２３４５６７８９"))])
def test_p32_the_same_id_number_again_in_any_spelling_is_refused(db: SQLAlchemy, spelling: str) -> None:
    sign_up(details())
    db.session.commit()

    with pytest.raises(SignupRefused, match="account exists already") as refused:
        sign_up(details(id_number=spelling, phone="13800000000"))

    assert refused.value.field == "id_number"
    assert db.session.scalar(select(func.count(User.id))) == 1


def test_p32_lowercase_x_is_the_same_person(db: SQLAlchemy) -> None:
    sign_up(details(id_number=X_ID))
    db.session.commit()

    with pytest.raises(SignupRefused, match="account exists already"):
        sign_up(details(id_number=X_ID.lower()))


@pytest.mark.db
def test_p32_blind_index_is_unique(db: SQLAlchemy) -> None:
    person = find_or_create_person(ID_NUMBER)
    db.session.add(Person(
        id_number_cipher=person.id_number_cipher, id_number_index=person.id_number_index,
    ))

    with pytest.raises(IntegrityError):
        db.session.flush()
