"""Where the keys (密钥) and the secret key come from.

In order: the app config (so ``SELECTION_FIELD_KEYS``, ``SELECTION_BLIND_INDEX_KEY``,
``SELECTION_AUDIT_KEY``, ``SELECTION_RECEIPT_PEPPER``, ``SELECTION_SECRET_KEY`` from
the environment), then ``instance/keys.json`` (mode 0600). Outside production a missing
value is generated and written to that file; in production it is an error, and so is a
malformed value: there is never a built-in default key.
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

from .crypto import Keyring, KeyringError, new_key

KEYS_FILE = "keys.json"
_KEY_NAMES = ("FIELD_KEYS", "BLIND_INDEX_KEY", "AUDIT_KEY", "RECEIPT_PEPPER", "SECRET_KEY")
_MIN_SECRET_KEY_LENGTH = 32


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


def _write_keys_file(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        json.dump(data, file, indent=2, sort_keys=True)
    os.replace(partial, path)


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
