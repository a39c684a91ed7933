"""P46 and P02 with the limiter's shared store: Redis, as several workers need it.

With one worker the limiter counts in memory; behind several gunicorn workers it must
count in one place (docs/configuration.md, RATELIMIT_STORAGE_URI). These tests point it at
the Redis server CI provides and read back everything it wrote: the limits hold, and no
key or value holds a client address or a username, only keyed hashes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from flask import Flask

from selection.models import Role, Round
from tests.conftest import make_test_config
from tests.publicity.complaint_support import file_online, receipt_of
from tests.selection.test_accounts import PASSWORD, log_in
from tests.vetting.conftest import DAY



def _hash(app: Flask, value: str) -> str:
    return hmac.new(app.config["SECRET_KEY"].encode("utf-8"), value.encode("utf-8"), hashlib.sha256).hexdigest()


@pytest.fixture
def address() -> str:
    return f"203.0.113.{secrets.randbelow(250) + 1}"


@pytest.fixture
def test_config(database_url: str, redis_server: str) -> dict[str, Any]:
    return make_test_config(database_url, TODAY=DAY.isoformat(), RATELIMIT_STORAGE_URI=redis_server,
                            COMPLAINT_LIMIT_PER_CLIENT="2 per hour")


@pytest.fixture
def server(redis_server: str) -> Iterator[redis.Redis]:
    """The Redis server, read back whole; the keys a test made (they hold its app's fresh secret) go after it."""
    connection = redis.Redis.from_url(redis_server)
    before = set(connection.scan_iter())
    yield connection
    for key in set(connection.scan_iter()) - before:
        connection.delete(key)


def _everything(server: redis.Redis) -> str:
    parts = []
    for key in server.scan_iter():
        kind = server.type(key)
        value = server.lrange(key, 0, -1) if kind == b"list" else \
            server.zrange(key, 0, -1, withscores=True) if kind == b"zset" else server.dump(key)
        parts.append(f"{key!r} {value!r}")
    return "\n".join(parts)


def test_p46_complaint_limit_counts_in_redis_and_stores_no_address(
        app: Flask, store_demo: Callable[..., Round], server: redis.Redis, address: str) -> None:
    store_demo()
    client = app.test_client()

    filed = [file_online(client, environ={"REMOTE_ADDR": address}) for _ in range(2)]
    refused = file_online(client, environ={"REMOTE_ADDR": address})

    assert all(receipt_of(response) for response in filed) and refused.status_code == 429
    written = _everything(server)
    # the count is in Redis, where every worker sees it, under the address's keyed hash only
    assert f"complaints:client:{_hash(app, address)}" in written
    assert address not in written and address.replace(".", "") not in written


def test_p02_login_limit_counts_in_redis_and_stores_no_username(
        app: Flask, create_account: Any, server: redis.Redis) -> None:
    username = f"redis-{secrets.token_hex(4)}"
    create_account(Role.ADMIN, username, password=PASSWORD)
    client = app.test_client()

    failures = [log_in(client, username, f"wrong-{n}").status_code for n in range(5)]
    refused = log_in(client, username, PASSWORD)

    assert failures == [200] * 5 and refused.status_code == 429
    written = _everything(server)
    assert f"login:{_hash(app, username)}" in written
    assert username not in written and "127.0.0.1" not in written  # the per-client count is hashed too
