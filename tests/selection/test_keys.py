"""Where keys come from: generated in development, required in production (the P34 probe: tests/security/)."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

import pytest

from selection import create_app
from selection import keys as keys_module
from selection.crypto import EXTENSION_KEY
from selection.keys import KeyConfigurationError
from tests.conftest import fresh_key_config

KEY_SETTINGS = ("FIELD_KEYS", "BLIND_INDEX_KEY", "AUDIT_KEY", "RECEIPT_PEPPER", "SECRET_KEY")


def production_config(tmp_path: Path, **keys: object) -> dict[str, object]:
    return {"PRODUCTION": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db", **keys}


def test_production_reads_keys_from_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in fresh_key_config().items():
        text = json.dumps(value) if isinstance(value, dict) else str(value)
        monkeypatch.setenv(f"SELECTION_{name}", text)
    monkeypatch.setenv("SELECTION_PRODUCTION", "true")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/x.db")

    app = create_app()

    assert app.config["PRODUCTION"] is True
    assert app.extensions[EXTENSION_KEY].field_key_version == 1


def test_production_refuses_keys_file_readable_by_others(
    tmp_path: Path, _instance_path: Path
) -> None:
    # Given a keys file written in development, then opened up to the group
    create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})
    keys_file = _instance_path / "keys.json"
    os.chmod(keys_file, 0o640)

    with pytest.raises(KeyConfigurationError, match="chmod 600"):
        create_app(production_config(tmp_path))

    os.chmod(keys_file, 0o600)
    assert create_app(production_config(tmp_path)).config["PRODUCTION"]


def test_development_generates_keys_file_once(tmp_path: Path, _instance_path: Path) -> None:
    first = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})
    keys_file = _instance_path / "keys.json"
    second = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})

    assert stat.S_IMODE(keys_file.stat().st_mode) == 0o600
    assert first.extensions[EXTENSION_KEY] == second.extensions[EXTENSION_KEY]
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert set(json.loads(keys_file.read_text())) == {
        "field_keys", "field_key_version", "blind_index_key", "audit_key", "receipt_pepper",
        "secret_key",
    }


def test_development_never_uses_a_built_in_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    apps = []
    for name in ("one", "two"):
        monkeypatch.setenv("SELECTION_INSTANCE_PATH", str(tmp_path / name))
        apps.append(create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"}))

    first, second = (app.extensions[EXTENSION_KEY] for app in apps)
    assert first.audit_key != second.audit_key
    assert first.field_keys != second.field_keys
    assert apps[0].config["SECRET_KEY"] != apps[1].config["SECRET_KEY"]


def test_keys_are_never_written_from_the_environment(
    tmp_path: Path, _instance_path: Path
) -> None:
    keys = fresh_key_config()
    del keys["RECEIPT_PEPPER"]

    create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db", **keys})

    assert set(json.loads((_instance_path / "keys.json").read_text())) == {"receipt_pepper"}


def test_a_worker_that_loses_the_race_to_write_the_first_keys_uses_the_winners(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # gunicorn's workers build the app at once on a fresh install: each finds no keys.json and
    # generates keys. Here another worker writes its file just after this one looked (the race,
    # made certain): this worker must use the keys on disk, not keep its own.
    instance = tmp_path / "fresh-instance"
    monkeypatch.setenv("SELECTION_INSTANCE_PATH", str(instance))
    winner = {"secret_key": "w" * 48, "field_keys": {"1": base64.b64encode(b"\x01" * 32).decode()},
              "field_key_version": 1, "blind_index_key": base64.b64encode(b"\x02" * 32).decode(),
              "audit_key": base64.b64encode(b"\x03" * 32).decode(),
              "receipt_pepper": base64.b64encode(b"\x04" * 32).decode()}
    generate = keys_module._generate

    def generate_after_the_winner_wrote(names: list[str]) -> dict[str, object]:
        (instance / "keys.json").write_text(json.dumps(winner))
        return generate(names)

    monkeypatch.setattr(keys_module, "_generate", generate_after_the_winner_wrote)

    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})

    assert app.config["SECRET_KEY"] == "w" * 48
    assert app.extensions[EXTENSION_KEY].audit_key == b"\x03" * 32
    assert json.loads((instance / "keys.json").read_text()) == winner
    assert [p.name for p in instance.iterdir()] == ["keys.json"]  # no partial file left behind
