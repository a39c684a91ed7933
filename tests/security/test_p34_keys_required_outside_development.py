"""P34: missing, malformed or repeated keys outside development: the app refuses to start; no built-in default key."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from selection import create_app
from selection.keys import KeyConfigurationError
from tests.conftest import fresh_key_config
from tests.selection.test_keys import KEY_SETTINGS, production_config


def test_p34_production_without_keys_refuses_to_start(tmp_path: Path) -> None:
    with pytest.raises(KeyConfigurationError) as refused:
        create_app(production_config(tmp_path))

    assert all(name in str(refused.value) for name in KEY_SETTINGS)
    assert not (tmp_path / "instance" / "keys.json").exists()


@pytest.mark.parametrize("missing", KEY_SETTINGS)
def test_p34_production_missing_one_key_refuses_to_start(tmp_path: Path, missing: str) -> None:
    keys = fresh_key_config()
    del keys[missing]

    with pytest.raises(KeyConfigurationError, match=missing):
        create_app(production_config(tmp_path, **keys))


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("AUDIT_KEY", "not base64!"),
        ("AUDIT_KEY", base64.b64encode(b"short").decode()),
        ("FIELD_KEYS", {"one": base64.b64encode(bytes(32)).decode()}),
        ("FIELD_KEYS", "{not json"),
        ("FIELD_KEY_VERSION", 2),
        ("SECRET_KEY", "too short"),
    ],
)
def test_p34_production_malformed_key_refuses_to_start(
    tmp_path: Path, setting: str, value: object
) -> None:
    keys = fresh_key_config() | {setting: value}

    with pytest.raises(KeyConfigurationError):
        create_app(production_config(tmp_path, **keys))


def test_p34_keys_must_differ(tmp_path: Path) -> None:
    keys = fresh_key_config()
    keys["AUDIT_KEY"] = keys["BLIND_INDEX_KEY"]

    with pytest.raises(KeyConfigurationError, match="differ"):
        create_app(production_config(tmp_path, **keys))
