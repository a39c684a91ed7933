"""``users create-admin``: the first administrator comes from the command line (P05)."""

from __future__ import annotations

from flask_sqlalchemy import SQLAlchemy
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from selection.models import Role, User
from selection.passwords import verify_password

PASSPHRASE = "组织部的一条很长的中文口令" * 4


def test_create_admin_reads_password_from_stdin(runner: FlaskCliRunner, db: SQLAlchemy) -> None:
    result = runner.invoke(
        args=["users", "create-admin", "--username", "zzb", "--password-stdin"],
        input=PASSPHRASE + "\n",
    )

    assert (result.exit_code, result.output) == (0, "created administrator zzb\n")
    user = db.session.scalars(select(User)).one()
    assert (user.username, user.role, user.active) == ("zzb", Role.ADMIN, True)
    assert user.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert verify_password(user.password_hash, PASSPHRASE)
    assert not verify_password(user.password_hash, PASSPHRASE + "x")


def test_create_admin_prompts_twice(runner: FlaskCliRunner, db: SQLAlchemy) -> None:
    result = runner.invoke(
        args=["users", "create-admin", "--username", "zzb"],
        input="correct horse\ncorrect horse\n",
    )

    assert result.exit_code == 0
    assert result.output.count("Password") == 1 and "Repeat for confirmation" in result.output


def test_create_admin_refuses_short_password(runner: FlaskCliRunner, db: SQLAlchemy) -> None:
    result = runner.invoke(
        args=["users", "create-admin", "--username", "zzb", "--password-stdin"], input="short\n"
    )

    assert result.exit_code != 0 and "at least 8 characters" in result.output
    assert db.session.scalars(select(User)).all() == []


def test_create_admin_refuses_existing_username(runner: FlaskCliRunner, db: SQLAlchemy) -> None:
    args = ["users", "create-admin", "--username", "zzb", "--password-stdin"]
    runner.invoke(args=args, input="password-one\n")

    result = runner.invoke(args=args, input="password-two\n")

    assert result.exit_code != 0 and "exists already" in result.output
