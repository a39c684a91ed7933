"""Field encryption, blind indexes, audit MACs and receipt hashes (pure: no app)."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest

from selection.crypto import (
    NONCE_BYTES, DecryptionError, Keyring, KeyringError, audit_mac, blind_index, decrypt_field,
    encrypt_field, generate_keyring, new_key, receipt_hash,
)

ID_NUMBER = "110101198805010024"
AAD = "persons:id_number:0123456789abcdef0123456789abcdef"


@pytest.fixture
def keys() -> Keyring:
    return generate_keyring()


def test_encrypt_field_round_trip(keys: Keyring) -> None:
    for plaintext in (ID_NUMBER, "王芳反映：……", ""):
        blob = encrypt_field(plaintext, aad=AAD, keys=keys)

        assert decrypt_field(blob, aad=AAD, keys=keys) == plaintext


def test_encrypt_field_layout_is_version_nonce_ciphertext(keys: Keyring) -> None:
    blob = encrypt_field(ID_NUMBER, aad=AAD, keys=keys)

    assert blob[0] == keys.field_key_version
    assert len(blob) == 1 + NONCE_BYTES + len(ID_NUMBER) + 16  # 16-byte GCM tag
    assert ID_NUMBER.encode() not in blob


def test_encrypt_field_uses_a_fresh_nonce(keys: Keyring) -> None:
    first, second = (encrypt_field(ID_NUMBER, aad=AAD, keys=keys) for _ in range(2))

    assert first != second


def test_decrypt_field_refuses_tampering_and_foreign_keys(keys: Keyring) -> None:
    blob = encrypt_field(ID_NUMBER, aad=AAD, keys=keys)
    flipped = blob[:-1] + bytes([blob[-1] ^ 1])

    for bad, ring in ((flipped, keys), (blob, generate_keyring()), (blob[:10], keys)):
        with pytest.raises(DecryptionError):
            decrypt_field(bad, aad=AAD, keys=ring)


def test_decrypt_field_refuses_unknown_key_version(keys: Keyring) -> None:
    blob = encrypt_field(ID_NUMBER, aad=AAD, keys=keys)

    with pytest.raises(DecryptionError, match="version 7"):
        decrypt_field(bytes([7]) + blob[1:], aad=AAD, keys=keys)


def test_rotated_keyring_still_reads_old_version(keys: Keyring) -> None:
    old_blob = encrypt_field(ID_NUMBER, aad=AAD, keys=keys)
    rotated = dataclasses.replace(
        keys, field_keys={**keys.field_keys, 2: new_key()}, field_key_version=2
    )

    new_blob = encrypt_field(ID_NUMBER, aad=AAD, keys=rotated)

    assert new_blob[0] == 2
    assert decrypt_field(old_blob, aad=AAD, keys=rotated) == ID_NUMBER
    assert decrypt_field(new_blob, aad=AAD, keys=rotated) == ID_NUMBER


def test_blind_index_is_keyed_deterministic_and_purpose_bound(keys: Keyring) -> None:
    index = blind_index(ID_NUMBER, purpose="id_number", keys=keys)

    assert index == blind_index(ID_NUMBER, purpose="id_number", keys=keys)
    assert len(index) == 64
    assert index != blind_index(ID_NUMBER, purpose="phone", keys=keys)
    assert index != blind_index(ID_NUMBER, purpose="id_number", keys=generate_keyring())
    assert index != hashlib.sha256(ID_NUMBER.encode()).hexdigest()  # P31


def test_audit_mac_depends_on_key_and_data(keys: Keyring) -> None:
    mac = audit_mac(b"event", keys=keys)

    assert mac == audit_mac(b"event", keys=keys)
    assert mac != audit_mac(b"event!", keys=keys)
    assert mac != audit_mac(b"event", keys=generate_keyring())


def test_receipt_hash_is_peppered_and_deterministic(keys: Keyring) -> None:
    code = "1234567890123456"

    digest = receipt_hash(code, keys=keys)

    assert digest == receipt_hash(code, keys=keys)
    assert digest != receipt_hash(code, keys=generate_keyring())
    assert digest != hashlib.sha256(code.encode()).hexdigest()
    assert len(digest) == 64


@pytest.mark.parametrize(
    "change",
    [
        {"audit_key": b"short"},
        {"field_keys": {}},
        {"field_keys": {0: bytes(32)}},
        {"field_key_version": 3},
    ],
)
def test_keyring_refuses_malformed_keys(keys: Keyring, change: dict[str, object]) -> None:
    with pytest.raises(KeyringError):
        dataclasses.replace(keys, **change)


def test_keyring_repr_hides_keys(keys: Keyring) -> None:
    assert keys.audit_key.hex() not in repr(keys)
    assert repr(keys.audit_key) not in repr(keys)
