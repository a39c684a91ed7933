"""P33: a ciphertext copied into another row fails to decrypt; it never shows the other person's number."""

from __future__ import annotations

import pytest
from flask_sqlalchemy import SQLAlchemy

from selection.crypto import (
    DecryptionError,
    Keyring,
    decrypt_field,
    encrypt_field,
)
from selection.models import Person
from selection.services import find_or_create_person, reveal_id_number
from tests.selection.conftest import id_number_for
from tests.selection.test_crypto import (
    ID_NUMBER,
    keys,  # noqa: F401 (fixtures)
)


def test_p33_ciphertext_bound_to_its_row_and_field(keys: Keyring) -> None:
    blob = encrypt_field(ID_NUMBER, aad="persons:id_number:aaaa", keys=keys)

    for other in ("persons:id_number:bbbb", "persons:phone:aaaa", ""):
        with pytest.raises(DecryptionError):
            decrypt_field(blob, aad=other, keys=keys)


@pytest.mark.db
def test_p33_id_ciphertext_copied_to_another_person_fails(db: SQLAlchemy) -> None:
    # Given two people, and one's ciphertext copied into the other's row
    victim = find_or_create_person(ID_NUMBER)
    other = find_or_create_person(id_number_for(8))
    other.id_number_cipher = victim.id_number_cipher
    db.session.commit()

    with pytest.raises(DecryptionError):
        reveal_id_number(db.session.get(Person, other.id))
