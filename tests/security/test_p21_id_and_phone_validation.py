"""P21: ID numbers are validated (check digit, real birth date, lowercase x) and phones are mobile numbers."""

from __future__ import annotations

import pytest
from flask_sqlalchemy import SQLAlchemy

from selection.signup import SignupRefused, sign_up
from tests.selection.test_signup import ID, details, id_number


@pytest.mark.parametrize(("number", "message"), [
    (ID[:-1] + ("0" if ID[-1] != "0" else "1"), "check digit"),
    (id_number("11010119900230003"), "not a real date"),
    ("1101011990030700", "17 digits"),
])
def test_p21_a_bad_id_number_is_refused_on_its_field(db: SQLAlchemy, number: str, message: str) -> None:
    with pytest.raises(SignupRefused, match=message) as refused:
        sign_up(details(id_number=number))

    assert refused.value.field == "id_number"


@pytest.mark.parametrize("phone", ["12912345678", "1391234567", "139123456789", "+8613912345678"])
def test_p21_a_phone_that_is_not_a_mobile_number_is_refused(db: SQLAlchemy, phone: str) -> None:
    with pytest.raises(SignupRefused) as refused:
        sign_up(details(phone=phone))

    assert refused.value.field == "phone"
