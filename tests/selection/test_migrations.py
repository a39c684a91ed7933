"""Migrations: the only way the schema comes to exist, up and down on both databases."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from sqlalchemy import inspect

from selection import create_app
from selection.extensions import db
from tests.conftest import make_test_config

pytestmark = pytest.mark.db

REPOSITORY = Path(__file__).resolve().parents[2]


def table_names(app: Flask) -> set[str]:
    with app.app_context():
        names = set(inspect(db.engine).get_table_names())
        db.engine.dispose()
    return names


@pytest.fixture
def empty_app(empty_database_url: str) -> Callable[[], Flask]:
    return lambda: create_app(make_test_config(empty_database_url))


def test_migrations_upgrade_downgrade_upgrade(empty_app: Callable[[], Flask]) -> None:
    app = empty_app()
    with app.app_context():
        flask_migrate.upgrade()
    assert {"rounds", "candidates", "audit_events", "committee_ballots"} <= table_names(app)

    with app.app_context():
        flask_migrate.downgrade(revision="base")
    assert table_names(app) == {"alembic_version"}

    with app.app_context():
        flask_migrate.upgrade()
    assert db.metadata.tables.keys() <= table_names(app)


def test_migrations_match_the_models(app: Flask) -> None:
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)

    assert differences == []


def test_committee_ballots_have_no_rowid_on_sqlite(app: Flask, database_backend: str) -> None:
    if database_backend != "sqlite":
        pytest.skip("WITHOUT ROWID is SQLite's")
    with app.app_context(), db.engine.connect() as connection:
        sql = connection.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE name = 'committee_ballots'"
        ).scalar()

    assert "WITHOUT ROWID" in sql


def test_no_create_all_anywhere() -> None:
    sources = [
        path for folder in ("selection", "exams", "vetting", "publicity", "tests")
        for path in (REPOSITORY / folder).rglob("*.py")
        if path.resolve() != Path(__file__).resolve()
    ]

    assert [str(path) for path in sources if "create_all(" in path.read_text()] == []
