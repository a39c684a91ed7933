"""Online secret ballots (网上无记名投票): opening, codes, casting, closing, the pages and `ballots verify`."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import select

from selection.models import AuditEvent, Round
from selection.pipeline import StageNotReached, Status
from selection.record.services import round_results
from tests.exams.test_pdf import page_qr_codes
from tests.vetting.ballot_support import (
    FINANCE, TRANSPORT, cast, close, finance_at_evaluation, issue, open_box, rows, tokens_in_pdf,
)
from tests.vetting.conftest import DAY, candidate, p03_at_evaluation
from vetting import ballots, services
from vetting.ballots import BallotRefused, TokenRefused
from vetting.models import BallotBox, BallotKind, BallotReceipt, BallotToken, UnitBallot

pytestmark = pytest.mark.db
REC, EVAL = BallotKind.RECOMMENDATION, BallotKind.EVALUATION


@pytest.fixture(autouse=True)
def _english(app: Flask, db: SQLAlchemy) -> Any:
    """Refusals read in English here (`match=`); the pages' own requests still default to Chinese."""
    with app.test_request_context("/?lang=en"):
        yield


def _status(round_: Round, ref: str) -> Status:
    return next(r for r in round_results(round_, today=DAY).candidates if r.ref == ref).status


# ---------------------------------------------------------------- opening


def test_open_box_takes_the_units_candidates_awaiting_the_tally(db: SQLAlchemy, store_demo: Callable[..., Round]) -> None:
    round_ = store_demo()

    box = open_box(db, round_, REC, TRANSPORT)

    # C038 of the same unit failed the review: not on the ballot
    assert [c.ref for c in box.candidates] == ["C035"]
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "ballot_box.open")).one()
    assert event.after == {"kind": "recommendation", "unit": TRANSPORT, "candidates": ["C035"]}


def test_evaluation_box_takes_the_interviewed_without_ballots(db: SQLAlchemy, store_demo: Callable[..., Round]) -> None:
    round_ = store_demo(finance_at_evaluation)

    box = open_box(db, round_, EVAL, FINANCE)

    assert [c.ref for c in box.candidates] == ["C017", "C019"]


def test_open_refused_naming_the_missing_step(db: SQLAlchemy, store_demo: Callable[..., Round]) -> None:
    round_ = store_demo()

    # P05 is at the recommendation: its evaluation cannot start yet
    with pytest.raises(StageNotReached):
        ballots.open_ballot_box(round_, kind=EVAL, unit=TRANSPORT, actor="a", today=DAY)
    with pytest.raises(services.Refused, match="No candidate of this round comes from"):
        ballots.open_ballot_box(round_, kind=REC, unit="市外事办", actor="a", today=DAY)


def test_open_refused_when_every_tally_is_entered(db: SQLAlchemy, store_demo: Callable[..., Round]) -> None:
    round_ = store_demo(p03_at_evaluation)

    # of 市财政局 only C017 awaits; once its box is open, a second box has nobody new and is refused
    open_box(db, round_, EVAL, FINANCE)
    with pytest.raises(services.Refused, match="C017 is already in an open online ballot"):
        ballots.open_ballot_box(round_, kind=EVAL, unit=FINANCE, actor="a", today=DAY)


def test_hand_entry_refused_while_a_box_is_open(db: SQLAlchemy, store_demo: Callable[..., Round]) -> None:
    round_ = store_demo(p03_at_evaluation)
    open_box(db, round_, REC, TRANSPORT)
    open_box(db, round_, EVAL, FINANCE)
    c035, c017 = candidate(db, round_, "C035"), candidate(db, round_, "C017")

    with pytest.raises(services.Refused, match="An online ballot for C035 is open"):
        services.enter_recommendation_tally(c035, yes=40, no=5, abstain=5, invalid=0, seen_version=c035.version_id,
                                            actor="a", today=DAY)
    with pytest.raises(services.Refused, match="An online ballot for C017 is open"):
        services.enter_evaluation_tally(c017, {95: 10}, seen_version=c017.version_id, actor="a", today=DAY)


# ---------------------------------------------------------------- codes


def test_codes_are_stored_only_as_hmacs_and_audited_as_a_number(db: SQLAlchemy,
                                                              store_demo: Callable[..., Round]) -> None:
    round_ = store_demo()
    box = open_box(db, round_, REC, TRANSPORT)

    tokens = issue(db, box, 5) + issue(db, box, 3)

    stored = set(db.session.scalars(select(BallotToken.digest).where(BallotToken.box_id == box.id)))
    assert len(set(tokens)) == 8 and box.tokens_issued == 8
    assert stored == {ballots.token_digest(t) for t in tokens}
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "ballot_box.tokens")).all()
    assert [e.after for e in events] == [{"tokens issued": 5, "total": 5}, {"tokens issued": 3, "total": 8}]
    dumped = repr([(e.before, e.after, e.subject) for e in db.session.scalars(select(AuditEvent))])
    assert not any(t in dumped or t[:5] in dumped for t in tokens)


# ---------------------------------------------------------------- casting and closing


def test_cast_close_enters_the_tally_like_a_hand_entry(db: SQLAlchemy, store_demo: Callable[..., Round]) -> None:
    round_ = store_demo()
    box = open_box(db, round_, REC, TRANSPORT)
    tokens = issue(db, box, 6)
    for token, answer in zip(tokens, ["yes", "yes", "yes", "yes", "no"]):
        assert len(cast(db, token, {"C035": answer})) == 16

    assert close(db, box) == {"C035": {"yes": 4, "no": 1, "abstain": 0}}

    c035 = candidate(db, round_, "C035")
    tally = c035.recommendation_tally
    assert (tally.yes, tally.no, tally.abstain, tally.invalid) == (4, 1, 0, 0)
    assert _status(round_, "C035") is Status.RECOMMENDED
    actions = [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))][-3:]
    assert actions[0] == "candidate.recommendation" and actions[-1] == "ballot_box.close"
    assert box.closing_hash and ballots.verify_box(box) == []
    # the unused code is now useless
    with pytest.raises(TokenRefused):
        cast(db, tokens[5], {"C035": "yes"})
    with pytest.raises(services.Refused):
        ballots.issue_tokens(box, 1, actor="a")
    with pytest.raises(services.Refused, match="already closed"):
        ballots.close_ballot_box(box, actor="a", today=DAY)


def test_close_refused_when_the_hand_entry_would_refuse(db: SQLAlchemy, store_demo: Callable[..., Round]) -> None:
    round_ = store_demo(p03_at_evaluation)
    box = open_box(db, round_, EVAL, FINANCE)
    for token in issue(db, box, 3):
        cast(db, token, {"C017": 95})

    # three ballots; the round asks for at least five valid evaluation ballots
    with pytest.raises(services.Refused, match="at least 5 are required"):
        ballots.close_ballot_box(box, actor="a", today=DAY)
    db.session.rollback()

    db.session.refresh(box)
    assert box.closed_at is None and box.counts is None and not candidate(db, round_, "C017").evaluation_tallies


def test_an_invalid_ballot_names_the_candidate(db: SQLAlchemy, store_demo: Callable[..., Round]) -> None:
    round_ = store_demo(finance_at_evaluation)
    box = open_box(db, round_, EVAL, FINANCE)
    token = issue(db, box, 1)[0]

    with pytest.raises(BallotRefused, match="C019"):
        cast(db, token, {"C017": 95, "C019": 85})
    assert rows(db, box.id) == (0, 0, 0)


# ---------------------------------------------------------------- pages


def _vote(client: FlaskClient, token: str) -> Any:
    return client.post("/vote", data={"token": token})


def test_vote_page_is_a_phone_form_with_no_inline_script(client: FlaskClient) -> None:
    response = client.get("/vote")

    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert "投票码" in page and 'id="token-form"' in page
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/static/js/vote.js" defer>']
    assert "style=" not in page
    script = client.get("/static/js/vote.js")
    assert script.status_code == 200 and b"history.replaceState" in script.data
    script.close()


def test_unknown_used_and_closed_codes_get_one_neutral_answer(app: Flask, db: SQLAlchemy,
                                                             store_demo: Callable[..., Round]) -> None:
    round_ = store_demo()
    box = open_box(db, round_, REC, TRANSPORT)
    used, spare, closing = issue(db, box, 3)
    for token in (used, closing, *issue(db, box, 3)[:1]):
        cast(db, token, {"C035": "yes"})
    client = app.test_client()
    before_close = _vote(client, spare)
    close(db, box)

    answers = [_vote(client, t) for t in ("ABCDE-FGHJK-MNPQR-STVWX", used, spare, "nonsense")]

    assert before_close.status_code == 200 and "苏明" in before_close.get_data(as_text=True)
    refusal = re.compile(r'<p class="notice" role="alert" id="refusal">(.*?)</p>', re.S)
    texts = {refusal.search(a.get_data(as_text=True)).group(1) for a in answers}  # type: ignore[union-attr]
    assert {a.status_code for a in answers} == {404} and len(texts) == 1


def test_ballot_page_carries_the_code_in_a_hidden_post_field(app: Flask, db: SQLAlchemy,
                                                             store_demo: Callable[..., Round]) -> None:
    round_ = store_demo(finance_at_evaluation)
    box = open_box(db, round_, EVAL, FINANCE)
    token = issue(db, box, 1)[0]
    client = app.test_client()

    page = _vote(client, token.lower()).get_data(as_text=True)

    assert f'name="token" type="hidden" value="{token.lower()}"' in page
    assert page.count('type="radio" name="choice-C017"') == 12
    response = client.post("/vote/cast", data={"token": token, "choice-C017": "95", "choice-C019": "60"})
    receipt = re.search(r'id="receipt">([0-9A-Z-]+)<', response.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    assert response.headers["Cache-Control"] == "no-store" and len(receipt.replace("-", "")) == 16
    assert rows(db, box.id) == (1, 1, 1)


def test_receipts_are_public_only_after_close(app: Flask, db: SQLAlchemy, store_demo: Callable[..., Round],
                                              admin_client: FlaskClient) -> None:
    round_ = store_demo()
    box = open_box(db, round_, REC, TRANSPORT)
    receipts = [cast(db, t, {"C035": "yes"}) for t in issue(db, box, 2)]
    anonymous = app.test_client()
    assert anonymous.get(f"/vote/receipts/{box.id}").status_code == 404

    admin_client.post(f"/vetting/rounds/{round_.code}/ballots/{box.id}/close")

    page = anonymous.get(f"/vote/receipts/{box.id}").get_data(as_text=True)
    assert all(ballots.ballot_rules.grouped(r) in page for r in receipts) and box.closing_hash in page


def test_admin_opens_prints_and_closes_through_the_pages(db: SQLAlchemy, store_demo: Callable[..., Round],
                                                         admin_client: FlaskClient) -> None:
    round_ = store_demo()
    base = f"/vetting/rounds/{round_.code}/ballots"
    assert "网上投票" in admin_client.get(f"/rounds/{round_.code}").get_data(as_text=True)

    opened = admin_client.post(base, data={"kind": "recommendation", "unit": TRANSPORT})
    box = db.session.scalars(select(BallotBox)).one()
    assert opened.location.endswith(f"{base}/{box.id}")
    assert admin_client.post(f"{base}/{box.id}/tokens", data={"count": 0}).status_code == 302
    pdf = admin_client.post(f"{base}/{box.id}/tokens", data={"count": 9})
    assert pdf.mimetype == "application/pdf" and pdf.headers["Cache-Control"] == "no-store"
    tokens = tokens_in_pdf(pdf.data)
    assert len(tokens) == 9
    db.session.refresh(box)
    assert box.tokens_issued == 9


def test_verify_command_passes_on_a_closed_box_and_refuses_an_open_one(app: Flask, db: SQLAlchemy,
                                                                       store_demo: Callable[..., Round]) -> None:
    round_ = store_demo()
    box = open_box(db, round_, REC, TRANSPORT)
    for token in issue(db, box, 2):
        cast(db, token, {"C035": "yes"})
    runner = app.test_cli_runner()
    assert runner.invoke(args=["ballots", "verify", "--box", str(box.id)]).exit_code == 1

    close(db, box)

    result = runner.invoke(args=["ballots", "verify"])
    assert result.exit_code == 0 and "1 closed ballot boxes checked, 0 failed" in result.output


def test_every_slip_scans_to_the_vote_page_with_its_own_printed_code(db: SQLAlchemy, store_demo: Callable[..., Round],
                                                                     admin_client: FlaskClient) -> None:
    round_ = store_demo()
    base = f"/vetting/rounds/{round_.code}/ballots"
    admin_client.post(base, data={"kind": "recommendation", "unit": TRANSPORT})
    box = db.session.scalars(select(BallotBox)).one()

    pdf = admin_client.post(f"{base}/{box.id}/tokens", data={"count": 8}).data

    printed = tokens_in_pdf(pdf)
    scanned = page_qr_codes(pdf, scale=3)
    # one QR code per slip, each the vote page with that slip's code after the '#'
    assert sorted(scanned) == sorted(f"http://localhost/vote#{token.replace('-', '')}" for token in printed)


def test_a_box_that_cannot_be_counted_is_voided_unread_and_frees_the_hand_entry(
        app: Flask, db: SQLAlchemy, store_demo: Callable[..., Round], admin_client: FlaskClient) -> None:
    # Given an evaluation box with two ballots, fewer than the round requires, so closing is refused
    round_ = store_demo(p03_at_evaluation)
    box = open_box(db, round_, EVAL, FINANCE)
    for token in issue(db, box, 3)[:2]:
        cast(db, token, {"C017": 95})
    with pytest.raises(services.Refused):
        close(db, box)
    db.session.rollback()
    base = f"/vetting/rounds/{round_.code}/ballots/{box.id}"
    assert admin_client.post(f"{base}/void", data={"reason": " "}).status_code == 302
    assert ballots.is_void(db.session.get(BallotBox, box.id)) is False  # no reason, nothing voided

    # When the admin voids it, giving the reason
    admin_client.post(f"{base}/void", data={"reason": "到会人数不足"})

    # Then its ballots and receipts are gone unread, nothing is published, the voiding is audited
    db.session.expire_all()
    voided = db.session.get(BallotBox, box.id)
    assert voided is not None and ballots.is_void(voided) and voided.counts is None
    assert db.session.scalars(select(UnitBallot).where(UnitBallot.box_id == box.id)).all() == []
    assert db.session.scalars(select(BallotReceipt).where(BallotReceipt.box_id == box.id)).all() == []
    assert admin_client.get(f"/vote/receipts/{box.id}").status_code == 404
    assert "已作废" in admin_client.get(base).get_data(as_text=True)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == ballots.VOID_ACTION)).one()
    assert event.after == {"reason": "到会人数不足", "ballots discarded": 2, "tokens issued": 3}
    # and the candidate's tally can be entered by hand again, and the verify command accepts the box
    c017 = candidate(db, round_, "C017")
    services.enter_evaluation_tally(c017, {95: 10, 90: 5}, seen_version=c017.version_id, actor="a", today=DAY)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["ballots", "verify"]).exit_code == 0
    # but not once a ballot row turns up in it
    db.session.add(UnitBallot(box_id=box.id, sealed=b"x"))
    db.session.commit()
    result = runner.invoke(args=["ballots", "verify"])
    assert result.exit_code == 1 and "voided, yet 1 ballots are stored" in result.output
