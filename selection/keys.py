"""Where the keys (密钥) and the secret key come from.

In order: the app config (so ``SELECTION_FIELD_KEYS``, ``SELECTION_BLIND_INDEX_KEY``,
``SELECTION_AUDIT_KEY``, ``SELECTION_RECEIPT_PEPPER``, ``SELECTION_SECRET_KEY`` from
the environment), then ``instance/keys.json`` (mode 0600). Outside production a missing
value is generated and written to that file; in production it is an error, and so is a
malformed value: there is never a built-in default key.

A running app re-reads its keys when ``keys.json`` changes (checked before each request,
and when a ciphertext names a field key version it lacks), so ``keys rotate`` can add a
field key version to the file while the app keeps serving (selection/maintenance/).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
import stat
from pathlib import Path
from typing import Any

from flask import Flask

from .crypto import EXTENSION_KEY, RELOAD_HOOK, Keyring, KeyringError, new_key

KEYS_FILE = "keys.json"
_KEY_NAMES = ("FIELD_KEYS", "BLIND_INDEX_KEY", "AUDIT_KEY", "RECEIPT_PEPPER", "SECRET_KEY")
_MIN_SECRET_KEY_LENGTH = 32
_MAX_FIELD_KEY_VERSION = 255
#: app.extensions key of the keys file's (mtime, size, inode) when it was last read
_SIGNATURE = "selection_keys_signature"

FileSignature = tuple[int, int, int] | None


class KeyConfigurationError(RuntimeError):
    """The keys are missing or malformed; the app refuses to start."""


def load_keys(app: Flask) -> Keyring:
    """The app's keyring; also sets ``SECRET_KEY``. Raises `KeyConfigurationError`."""
    production = bool(app.config["PRODUCTION"])
    path = Path(app.instance_path) / KEYS_FILE
    stored = _read_keys_file(path, production=production)
    values = {name: _configured(app, stored, name) for name in _KEY_NAMES}
    missing = [name for name, value in values.items() if value is None]
    if missing and production:
        raise KeyConfigurationError(
            f"missing {', '.join(missing)}: set SELECTION_<NAME> in the environment "
            f"or put it in {path} (see docs/configuration.md)"
        )
    if missing and not stored:
        # a first start: gunicorn's workers may all get here at once, and each must end up with
        # the same keys, so the first file written wins and the others read it back
        _write_keys_file(path, _generate(missing), only_if_absent=True)
        stored = _read_keys_file(path, production=production)
        values = {name: _configured(app, stored, name) for name in _KEY_NAMES}
        missing = [name for name, value in values.items() if value is None]
    if missing:
        stored = {**stored, **_generate(missing)}
        _write_keys_file(path, stored)
        values = {name: _configured(app, stored, name) for name in _KEY_NAMES}

    field_keys = _field_keys(values["FIELD_KEYS"])
    version = _configured(app, stored, "FIELD_KEY_VERSION")
    try:
        keyring = Keyring(
            field_keys=field_keys,
            field_key_version=int(version) if version is not None else max(field_keys),
            blind_index_key=_key("BLIND_INDEX_KEY", values["BLIND_INDEX_KEY"]),
            audit_key=_key("AUDIT_KEY", values["AUDIT_KEY"]),
            receipt_pepper=_key("RECEIPT_PEPPER", values["RECEIPT_PEPPER"]),
        )
    except (KeyringError, ValueError) as error:
        raise KeyConfigurationError(f"malformed keys: {error}") from None

    secret_key = values["SECRET_KEY"]
    if not isinstance(secret_key, str) or len(secret_key) < _MIN_SECRET_KEY_LENGTH:
        raise KeyConfigurationError(
            f"SECRET_KEY must be a string of at least {_MIN_SECRET_KEY_LENGTH} characters"
        )
    app.config["SECRET_KEY"] = secret_key
    return keyring


def keys_path(app: Flask) -> Path:
    return Path(app.instance_path) / KEYS_FILE


def watch_keys(app: Flask) -> None:
    """Re-read the keys whenever ``keys.json`` changes: before each request, and on demand (RELOAD_HOOK)."""
    app.extensions[_SIGNATURE] = _signature(keys_path(app))
    app.extensions[RELOAD_HOOK] = lambda: refresh_keys(app)

    @app.before_request
    def _refresh_keys() -> None:
        refresh_keys(app)


def refresh_keys(app: Flask) -> bool:
    """Load the keys again if their file changed since they were read; whether it did.

    One ``stat`` when nothing changed. A file that no longer loads keeps the keys in use
    (and says so in the log) rather than failing requests.
    """
    signature = _signature(keys_path(app))
    if signature == app.extensions.get(_SIGNATURE):
        return False
    try:
        keyring = load_keys(app)
    except KeyConfigurationError as error:
        app.logger.error("the keys file changed but does not load; still using the keys read before: %s", error)
        app.extensions[_SIGNATURE] = signature
        return False
    app.extensions[EXTENSION_KEY] = keyring
    app.extensions[_SIGNATURE] = signature
    return True


def _signature(path: Path) -> FileSignature:
    try:
        stat_result = path.stat()
    except FileNotFoundError:
        return None
    return (stat_result.st_mtime_ns, stat_result.st_size, stat_result.st_ino)


def field_keys_in_file(app: Flask) -> bool:
    """Whether the field keys come from ``keys.json`` (so commands may add and remove versions there)."""
    return app.config.get("FIELD_KEYS") is None and app.config.get("FIELD_KEY_VERSION") is None


def add_field_key(app: Flask) -> int:
    """Add a fresh field key to ``keys.json`` as the version new data uses; returns its version.

    Written (and synced to disk) before anything is encrypted with it: a ciphertext must
    never exist whose key could still be lost in a crash.
    """
    path, stored = _stored_field_keys(app)
    version = max(int(v) for v in stored["field_keys"]) + 1
    if version > _MAX_FIELD_KEY_VERSION:
        raise KeyConfigurationError(f"field key versions end at {_MAX_FIELD_KEY_VERSION}: retire old ones and "
                                    "renumber by hand")
    stored["field_keys"] = {**stored["field_keys"], str(version): _encode(new_key())}
    stored["field_key_version"] = version
    _write_keys_file(path, stored)
    return version


def remove_field_key(app: Flask, version: int) -> None:
    """Remove a field key version from ``keys.json``; never the one new data uses."""
    path, stored = _stored_field_keys(app)
    current = stored.get("field_key_version") or max(int(v) for v in stored["field_keys"])
    if int(current) == version:
        raise KeyConfigurationError(f"field key version {version} is the one new data uses")
    if str(version) not in stored["field_keys"]:
        raise KeyConfigurationError(f"{path} holds no field key of version {version}")
    stored["field_keys"] = {v: k for v, k in stored["field_keys"].items() if v != str(version)}
    stored["field_key_version"] = int(current)
    _write_keys_file(path, stored)


def _stored_field_keys(app: Flask) -> tuple[Path, dict[str, Any]]:
    if not field_keys_in_file(app):
        raise KeyConfigurationError("the field keys come from the configuration (SELECTION_FIELD_KEYS), "
                                    "not from keys.json: change them there")
    path = keys_path(app)
    stored = _read_keys_file(path, production=bool(app.config["PRODUCTION"]))
    if not isinstance(stored.get("field_keys"), dict) or not stored["field_keys"]:
        raise KeyConfigurationError(f"{path} holds no field keys")
    _field_keys(stored["field_keys"])  # malformed versions or keys are refused before anything is written
    return path, stored


def _configured(app: Flask, stored: dict[str, Any], name: str) -> Any:
    value = app.config.get(name)
    return value if value is not None else stored.get(name.lower())


def _read_keys_file(path: Path, *, production: bool) -> dict[str, Any]:
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return {}
    if production and mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyConfigurationError(f"{path} must be readable by its owner only (chmod 600)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise KeyConfigurationError(f"cannot read {path}: {error}") from None
    if not isinstance(data, dict):
        raise KeyConfigurationError(f"{path} must hold a JSON object")
    return data


def _write_keys_file(path: Path, data: dict[str, Any], *, only_if_absent: bool = False) -> bool:
    """Write `data` to `path` whole or not at all; with `only_if_absent`, whether this call created the file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        json.dump(data, file, indent=2, sort_keys=True)
        file.flush()
        os.fsync(file.fileno())
    if only_if_absent:
        try:
            os.link(partial, path)  # atomic, and refused if another process wrote the file first
        except FileExistsError:
            return False
        finally:
            os.unlink(partial)
    else:
        os.replace(partial, path)
    # the rename too must reach the disk before a key in it encrypts anything (add_field_key)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return True


def _generate(names: list[str]) -> dict[str, Any]:
    """Fresh values for the missing names, as stored in ``keys.json``."""
    generated: dict[str, Any] = {}
    for name in names:
        if name == "SECRET_KEY":
            generated["secret_key"] = secrets.token_urlsafe(48)
        elif name == "FIELD_KEYS":
            generated["field_keys"] = {"1": _encode(new_key())}
            generated["field_key_version"] = 1
        else:
            generated[name.lower()] = _encode(new_key())
    return generated


def _encode(key: bytes) -> str:
    return base64.b64encode(key).decode("ascii")


def _key(name: str, value: Any) -> bytes:
    if not isinstance(value, str):
        raise KeyConfigurationError(f"{name} must be a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise KeyConfigurationError(f"{name} is not valid base64") from None


def _field_keys(value: Any) -> dict[int, bytes]:
    """FIELD_KEYS as a JSON object (or its text): {"1": "<base64>", ...}."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise KeyConfigurationError('FIELD_KEYS must be JSON: {"1": "<base64>"}') from None
    if not isinstance(value, dict) or not value:
        raise KeyConfigurationError('FIELD_KEYS must be a JSON object: {"1": "<base64>"}')
    try:
        return {int(version): _key(f"FIELD_KEYS[{version}]", key) for version, key in value.items()}
    except ValueError:
        raise KeyConfigurationError("FIELD_KEYS versions must be integers") from None
