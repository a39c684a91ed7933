"""App-wide commands (命令行): the first administrator, the audit trail, the access matrix.

``flask --app selection users create-admin --username X``,
``flask --app selection audit verify [--head FILE]``,
``flask --app selection audit export-head``,
``flask --app selection routes-matrix > docs/access.md``.
"""

from __future__ import annotations

import json
import sys
from typing import TextIO

import click
from flask import current_app
from flask.cli import with_appcontext

from .audit import ChainHead, chain_head, verify_chain
from .auth import access_matrix
from .extensions import db
from .models import Role
from .passwords import WeakPassword
from .services import UsernameTaken, create_user

users_cli = click.Group("users", help="Manage user accounts.")
audit_cli = click.Group("audit", help="Check and export the audit trail.")


@users_cli.command("create-admin")
@click.option("--username", required=True)
@click.option("--display-name", help="Name shown in the interface (default: the username).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_admin(username: str, display_name: str | None, password_stdin: bool) -> None:
    """Create an organisation-department administrator."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(
            username, display_name=display_name or username, password=password,
            role=Role.ADMIN, actor="cli:users create-admin",
        )
    except UsernameTaken:
        raise click.ClickException(f"user {username} exists already") from None
    except WeakPassword as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"created administrator {user.username}")


@audit_cli.command("verify")
@click.option("--head", "head_file", type=click.File("r"),
              help="A head saved earlier with export-head: the chain must still contain it.")
def verify(head_file: TextIO | None) -> None:
    """Recompute the audit chain; exit non-zero naming the first broken event."""
    expected = None
    if head_file is not None:
        try:
            data = json.load(head_file)
            expected = ChainHead(count=int(data["count"]), hash=str(data["hash"]))
        except (ValueError, KeyError, TypeError):
            message = 'the head file must hold {"count": N, "hash": "..."}'
            raise click.ClickException(message) from None
    result = verify_chain(expected)
    if not result.ok:
        raise click.ClickException(f"broken at event {result.broken_id}: {result.reason}")
    click.echo(f"ok: {result.count} events")


@audit_cli.command("export-head")
def export_head() -> None:
    """Print the chain's head as JSON, to keep outside the database."""
    head = chain_head()
    click.echo(json.dumps({"count": head.count, "hash": head.hash}))


@click.command("routes-matrix")
@with_appcontext
def routes_matrix() -> None:
    """Print docs/access.md: every route and which roles may use it."""
    click.echo(access_matrix(current_app), nl=False)
