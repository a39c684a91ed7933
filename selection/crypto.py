"""Cryptography (加密) for personal data, the audit chain and complaint receipts.

The one module that imports ``cryptography``. Four separate 32-byte keys, held in a
`Keyring`: field encryption (versioned, so keys can be rotated), blind index, audit
chain and receipt pepper. Every verb takes ``keys=`` explicitly; when it is left out,
the keyring loaded by `create_app` is read from ``current_app`` (the edge).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app

KEY_BYTES = 32
NONCE_BYTES = 12
_VERSION_BYTES = 1
EXTENSION_KEY = "selection_keys"

# Receipt codes are looked up by their hash, so the salt is the (secret) pepper and
# the cost comes from scrypt: 2**15 × 8 × 128 bytes = 32 MiB per hash.
_SCRYPT_N = 2**15
_SCRYPT_R = 8
_SCRYPT_MAXMEM = 64 * 1024 * 1024
#: bytes of an admission ticket's HMAC kept in its URL: 120 bits, 20 base64url characters
_TICKET_MAC_BYTES = 15


class CryptoError(Exception):
    """Base of the errors this module raises."""


class KeyringError(CryptoError):
    """A key is missing or malformed."""


class DecryptionError(CryptoError):
    """A ciphertext is corrupt, was made with another key, or belongs to another row."""


@dataclass(frozen=True)
class Keyring:
    """The installation's keys. Never logged: the repr hides them."""

    #: key version (1–255) → 32-byte AES-256-GCM key
    field_keys: Mapping[int, bytes] = field(repr=False)
    #: the version new ciphertexts are made with
    field_key_version: int
    blind_index_key: bytes = field(repr=False)
    audit_key: bytes = field(repr=False)
    receipt_pepper: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if not self.field_keys:
            raise KeyringError("no field encryption key")
        for version, key in self.field_keys.items():
            if not 1 <= version <= 255:
                raise KeyringError(f"field key version {version} is outside 1–255")
            _check_length(f"field key {version}", key)
        if self.field_key_version not in self.field_keys:
            raise KeyringError(f"field key version {self.field_key_version} has no key")
        _check_length("blind index key", self.blind_index_key)
        _check_length("audit key", self.audit_key)
        _check_length("receipt pepper", self.receipt_pepper)
        distinct = {self.blind_index_key, self.audit_key, self.receipt_pepper}
        distinct.update(self.field_keys.values())
        if len(distinct) != len(self.field_keys) + 3:
            raise KeyringError("the keys must all differ from one another")
        object.__setattr__(self, "field_keys", MappingProxyType(dict(self.field_keys)))


def _check_length(name: str, key: bytes) -> None:
    if not isinstance(key, bytes) or len(key) != KEY_BYTES:
        raise KeyringError(f"{name} must be {KEY_BYTES} bytes")


def new_key() -> bytes:
    """A fresh random 32-byte key."""
    return secrets.token_bytes(KEY_BYTES)


def generate_keyring() -> Keyring:
    """A keyring of fresh random keys, for development, tests and first installs."""
    return Keyring(
        field_keys={1: new_key()},
        field_key_version=1,
        blind_index_key=new_key(),
        audit_key=new_key(),
        receipt_pepper=new_key(),
    )


def current_keys() -> Keyring:
    """The keyring `create_app` loaded for the running app."""
    keys: Keyring = current_app.extensions[EXTENSION_KEY]
    return keys


def encrypt_field(plaintext: str, *, aad: str, keys: Keyring | None = None) -> bytes:
    """AES-GCM with the current field key: version byte + 12-byte nonce + ciphertext.

    `aad` binds the ciphertext to its place (``"persons:id_number:<uid>"``): the blob
    decrypts only with the same `aad`.
    """
    keys = keys or current_keys()
    version = keys.field_key_version.to_bytes(_VERSION_BYTES, "big")
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = AESGCM(keys.field_keys[keys.field_key_version]).encrypt(
        nonce, plaintext.encode("utf-8"), version + aad.encode("utf-8")
    )
    return version + nonce + sealed


def decrypt_field(blob: bytes, *, aad: str, keys: Keyring | None = None) -> str:
    """The plaintext of an `encrypt_field` blob, or `DecryptionError`."""
    keys = keys or current_keys()
    if len(blob) < _VERSION_BYTES + NONCE_BYTES + 16:
        raise DecryptionError("ciphertext too short")
    version = blob[:_VERSION_BYTES]
    key = keys.field_keys.get(int.from_bytes(version, "big"))
    if key is None:
        raise DecryptionError(f"no field key of version {version[0]}")
    nonce = blob[_VERSION_BYTES:_VERSION_BYTES + NONCE_BYTES]
    try:
        plaintext = AESGCM(key).decrypt(
            nonce, blob[_VERSION_BYTES + NONCE_BYTES:], version + aad.encode("utf-8")
        )
    except InvalidTag:
        raise DecryptionError("ciphertext does not authenticate") from None
    return plaintext.decode("utf-8")


def blind_index(value: str, *, purpose: str, keys: Keyring | None = None) -> str:
    """Keyed HMAC-SHA256 (hex) of `value` for lookup and uniqueness.

    `purpose` (``"id_number"``, ``"phone"``) is mixed in so that equal values of
    different kinds never share an index.
    """
    keys = keys or current_keys()
    message = purpose.encode("utf-8") + b"\x00" + value.encode("utf-8")
    return hmac.new(keys.blind_index_key, message, hashlib.sha256).hexdigest()


def audit_mac(data: bytes, *, keys: Keyring | None = None) -> str:
    """HMAC-SHA256 (hex) of one audit-chain link."""
    keys = keys or current_keys()
    return hmac.new(keys.audit_key, data, hashlib.sha256).hexdigest()


def receipt_hash(code: str, *, keys: Keyring | None = None) -> str:
    """Slow peppered hash (scrypt, hex) of a complaint receipt code, for lookup."""
    keys = keys or current_keys()
    digest = hashlib.scrypt(
        code.encode("utf-8"), salt=keys.receipt_pepper,
        n=_SCRYPT_N, r=_SCRYPT_R, p=1, maxmem=_SCRYPT_MAXMEM, dklen=32,
    )
    return digest.hex()


def sign_ticket(number: str, *, holder: str, keys: Keyring | None = None) -> str:
    """The signature of an admission ticket (准考证) in its verification URL.

    HMAC-SHA256 under the blind-index key with its own purpose (``admission_ticket``),
    over the ticket number and `holder` (which issue of the number it is: the seating's
    seed and the candidate, so a ticket printed before a re-seating stops verifying),
    truncated to 120 bits and written in base64url: 20 characters.
    """
    keys = keys or current_keys()
    message = b"\x00".join((b"admission_ticket", number.encode("utf-8"), holder.encode("utf-8")))
    mac = hmac.new(keys.blind_index_key, message, hashlib.sha256).digest()[:_TICKET_MAC_BYTES]
    return base64.urlsafe_b64encode(mac).decode("ascii")


def verify_ticket(number: str, signature: str, *, holder: str, keys: Keyring | None = None) -> bool:
    """Whether `signature` is `sign_ticket(number, holder=holder)`, compared in constant time."""
    expected = sign_ticket(number, holder=holder, keys=keys).encode("ascii")
    return hmac.compare_digest(expected, signature.encode("utf-8", "replace"))
