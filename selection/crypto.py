"""Cryptography (加密) for personal data, the audit chain and complaint receipts.

The one module that imports ``cryptography``. Four separate 32-byte keys, held in a
`Keyring`: field encryption (versioned, so keys can be rotated), blind index, audit
chain and receipt pepper. Every verb takes ``keys=`` explicitly; when it is left out,
the keyring loaded by `create_app` is read from ``current_app`` (the edge). Backup files
(备份) are sealed here too, with a key derived from the audit key (`seal_backup`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

KEY_BYTES = 32
NONCE_BYTES = 12
_VERSION_BYTES = 1
EXTENSION_KEY = "selection_keys"
#: ``current_app.extensions[RELOAD_HOOK]()`` re-reads the keys if their file changed (selection/keys.py)
RELOAD_HOOK = "selection_keys_reload"

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
    """The plaintext of an `encrypt_field` blob, or `DecryptionError`.

    Without `keys`, a blob of a version the app's keyring lacks makes the app re-read its
    keys once (another process may have just added that version: `keys rotate`).
    """
    given = keys
    keys = keys or current_keys()
    if len(blob) < _VERSION_BYTES + NONCE_BYTES + 16:
        raise DecryptionError("ciphertext too short")
    version = blob[:_VERSION_BYTES]
    key = keys.field_keys.get(int.from_bytes(version, "big"))
    if key is None and given is None and _reload_keys():
        keys = current_keys()
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


def field_key_version_of(blob: bytes) -> int:
    """The version of the field key an `encrypt_field` blob was made with (its first byte)."""
    if not blob:
        raise DecryptionError("empty ciphertext")
    return blob[0]


def reencrypt_field(blob: bytes, *, aad: str, keys: Keyring | None = None) -> bytes:
    """`blob` opened with whichever field key made it and sealed again with the current one."""
    keys = keys or current_keys()
    return encrypt_field(decrypt_field(blob, aad=aad, keys=keys), aad=aad, keys=keys)


def _reload_keys() -> bool:
    hook: Callable[[], bool] | None = current_app.extensions.get(RELOAD_HOOK)
    return hook is not None and hook()


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


# --- backup files --------------------------------------------------------------------------

#: the first bytes of a backup file, then the format version
BACKUP_MAGIC = b"OSBACKUP"
_BACKUP_FORMAT = 1
_BACKUP_INFO = b"open-selection backup v1"
_SALT_BYTES = 16
_LENGTH_BYTES = 4
#: plaintext bytes per sealed chunk: a backup of any size is sealed and opened in bounded memory
BACKUP_CHUNK_BYTES = 1024 * 1024
_MAX_HEADER_BYTES = 64 * 1024
_TAG_BYTES = 16


def _backup_file_key(salt: bytes, keys: Keyring) -> AESGCM:
    """The AES-256-GCM key of one backup file: HKDF-SHA256 of the audit key with the file's salt."""
    derived = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=salt, info=_BACKUP_INFO).derive(keys.audit_key)
    return AESGCM(derived)


def _chunk_nonce(counter: int, *, last: bool) -> bytes:
    # counter and a final-chunk flag: chunks cannot be reordered, dropped or cut off at the end unseen
    return counter.to_bytes(NONCE_BYTES - 1, "big") + (b"\x01" if last else b"\x00")


def seal_backup(source: BinaryIO, target: BinaryIO, *, header: bytes, keys: Keyring | None = None) -> None:
    """Encrypt and authenticate the whole of `source` into `target`, with `header` readable but authenticated.

    Layout: magic, format byte, 16-byte salt, 4-byte header length, header, then chunks of
    at most 1 MiB, each a 4-byte length and its AES-GCM ciphertext (nonce: chunk number and a
    last-chunk flag; associated data: everything before the first chunk).
    """
    keys = keys or current_keys()
    if len(header) > _MAX_HEADER_BYTES:
        raise CryptoError("backup header too long")
    salt = secrets.token_bytes(_SALT_BYTES)
    preamble = BACKUP_MAGIC + bytes([_BACKUP_FORMAT]) + salt + len(header).to_bytes(_LENGTH_BYTES, "big") + header
    aead = _backup_file_key(salt, keys)
    target.write(preamble)
    counter = 0
    chunk = source.read(BACKUP_CHUNK_BYTES)
    while True:
        following = source.read(BACKUP_CHUNK_BYTES)
        last = not following
        sealed = aead.encrypt(_chunk_nonce(counter, last=last), chunk, preamble)
        target.write(len(sealed).to_bytes(_LENGTH_BYTES, "big") + sealed)
        if last:
            return
        chunk, counter = following, counter + 1


def open_backup(source: BinaryIO, target: BinaryIO | None = None, *, keys: Keyring | None = None) -> bytes:
    """Authenticate a `seal_backup` file, writing its plaintext to `target` (if given); returns the header.

    Raises `DecryptionError` for another installation's keys, any altered, missing or added
    byte, and a cut-off file. A chunk is written only once it has authenticated; the caller
    still treats what was written as untrusted until this returns.
    """
    keys = keys or current_keys()
    fixed = _read_exactly(source, len(BACKUP_MAGIC) + 1 + _SALT_BYTES + _LENGTH_BYTES)
    if fixed[:len(BACKUP_MAGIC)] != BACKUP_MAGIC:
        raise DecryptionError("not a backup file of this application")
    if fixed[len(BACKUP_MAGIC)] != _BACKUP_FORMAT:
        raise DecryptionError(f"backup format {fixed[len(BACKUP_MAGIC)]} is not known")
    salt = fixed[len(BACKUP_MAGIC) + 1:len(BACKUP_MAGIC) + 1 + _SALT_BYTES]
    header_length = int.from_bytes(fixed[-_LENGTH_BYTES:], "big")
    if header_length > _MAX_HEADER_BYTES:
        raise DecryptionError("backup header too long")
    header = _read_exactly(source, header_length)
    preamble = fixed + header
    aead = _backup_file_key(salt, keys)
    counter = 0
    length = source.read(_LENGTH_BYTES)
    while True:
        if len(length) != _LENGTH_BYTES:
            raise DecryptionError("the backup is cut off")
        size = int.from_bytes(length, "big")
        if not _TAG_BYTES <= size <= BACKUP_CHUNK_BYTES + _TAG_BYTES:
            raise DecryptionError("the backup is damaged")
        sealed = _read_exactly(source, size)
        length = source.read(_LENGTH_BYTES)
        last = not length
        try:
            plain = aead.decrypt(_chunk_nonce(counter, last=last), sealed, preamble)
        except InvalidTag:
            raise DecryptionError("the backup does not authenticate: it was made with other keys, "
                                  "or it was altered or cut off") from None
        if target is not None:
            target.write(plain)
        if last:
            return header
        counter += 1


def _read_exactly(source: BinaryIO, size: int) -> bytes:
    data = source.read(size)
    if len(data) != size:
        raise DecryptionError("the backup is cut off")
    return data
