"""P40: no partial results visible to anyone before close."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy

from selection.models import Round
from selection.pipeline import Status
from selection.record.services import round_results
from tests.vetting.ballot_support import TRANSPORT, cast, issue, open_box
from tests.vetting.conftest import DAY
from vetting import ballots
from vetting.ballot_rules import grouped
from vetting.models import BallotKind

pytestmark = pytest.mark.db


class Opened(Exception):
    """A ballot was decrypted, i.e. counted, before the close."""


def test_p40_nothing_counts_or_shows_ballots_before_the_close(
        app: Flask, db: SQLAlchemy, store_demo: Callable[..., Round], admin_client: FlaskClient,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Given an open box with 7 yes and 3 no cast
    round_ = store_demo()
    box = open_box(db, round_, BallotKind.RECOMMENDATION, TRANSPORT)
    tokens = issue(db, box, 12)
    receipts = [cast(db, t, {"C035": "yes" if i < 7 else "no"}) for i, t in enumerate(tokens[:10])]

    # When everyone looks, with any opening of a sealed ballot made to fail loudly
    def refuse(*args: object, **kwargs: object) -> str:
        raise Opened()

    monkeypatch.setattr(ballots, "decrypt_field", refuse)
    anonymous = app.test_client()
    pages = {
        "boxes": admin_client.get(f"/vetting/rounds/{round_.code}/ballots"),
        "box": admin_client.get(f"/vetting/rounds/{round_.code}/ballots/{box.id}"),
        "recommendation screen": admin_client.get(f"/vetting/rounds/{round_.code}/positions/P05/recommendation"),
        "round": admin_client.get(f"/rounds/{round_.code}"),
        "audit": admin_client.get("/audit"),
        "public receipts": anonymous.get(f"/vote/receipts/{box.id}"),
        "ballot page": anonymous.post("/vote", data={"token": tokens[11]}),
    }
    verify = app.test_cli_runner().invoke(args=["ballots", "verify", "--box", str(box.id)])

    # Then nobody sees a count or a receipt, the box shows only its turnout, and the candidate waits
    assert pages.pop("public receipts").status_code == 404
    for name, response in pages.items():
        page = response.get_data(as_text=True)
        assert response.status_code == 200, name
        assert "ballot-counts" not in page and "closing-hash" not in page, name
        assert not any(grouped(r) in page or r in page for r in receipts), name
    box_page = pages["box"].get_data(as_text=True)
    assert 'id="tokens-issued">12<' in box_page and 'id="ballots-cast">10<' in box_page
    assert verify.exit_code == 1 and "7" not in verify.output
    assert box.counts is None and box.closing_hash is None
    result = next(r for r in round_results(round_, today=DAY).candidates if r.ref == "C035")
    assert result.status is Status.QUALIFIED and result.recommendation_rate is None
