"""P43: a receipt code has at least 16 digits and only its slow hash is kept; the lookup shows the
status and the outcome only; wrong codes are rate-limited, right ones are not.

On the demo round (clock 2026-11-20): C010 is in publicity, so anyone may file about them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import text

from publicity import complaints, rules
from publicity.models import ComplaintOutcome
from selection.crypto import current_keys
from selection.models import Round
from tests.conftest import make_test_config
from tests.publicity.complaint_support import LOOKUP, TEXT, file_online, main_of, receipt_of
from tests.vetting.conftest import DAY

pytestmark = pytest.mark.db


@pytest.fixture
def test_config(database_url: str) -> dict[str, Any]:
    return make_test_config(database_url, TODAY=DAY.isoformat(), COMPLAINT_LOOKUP_LIMIT_PER_CLIENT="3 per hour")


def _look_up(client: FlaskClient, code: str, address: str = "198.51.100.1") -> Any:
    return client.post(LOOKUP, data={"receipt": code}, environ_base={"REMOTE_ADDR": address})


def test_p43_the_code_has_20_digits_and_only_its_scrypt_hash_is_stored(
        client: FlaskClient, db: SQLAlchemy, store_demo: Callable[..., Round]) -> None:
    store_demo()

    receipt = receipt_of(file_online(client)).replace("-", "")

    assert rules.RECEIPT_DIGITS >= 16 and re.fullmatch(r"\d{20}", receipt)
    complaint = complaints.find_by_receipt(receipt)
    # scrypt with a cost of 2**15, peppered with a key kept outside the database
    slow = hashlib.scrypt(receipt.encode(), salt=current_keys().receipt_pepper, n=2 ** 15, r=8, p=1,
                          maxmem=64 * 1024 * 1024, dklen=32)
    assert complaint.receipt_hash == slow.hex()
    assert complaint.receipt_hash not in (hashlib.sha256(receipt.encode()).hexdigest(),
                                          hashlib.md5(receipt.encode()).hexdigest())
    dump = " ".join(str(row) for row in db.session.execute(text("SELECT * FROM complaints")))
    assert receipt not in dump and rules.format_receipt(receipt) not in dump


def test_p43_the_lookup_shows_the_status_then_the_outcome_and_nothing_else(
        client: FlaskClient, db: SQLAlchemy, store_demo: Callable[..., Round]) -> None:
    store_demo()
    receipt = receipt_of(file_online(client, content="举报内容独特标记"))
    complaint = complaints.find_by_receipt(receipt)
    candidate = complaint.candidate
    told = [candidate.name, candidate.ref, candidate.unit, candidate.position.title, candidate.round.title,
            "举报内容独特标记", TEXT, "2026年11月20日", "匿名", receipt, receipt.replace("-", "")]

    open_page = main_of(_look_up(client, receipt).get_data(as_text=True))
    complaint.outcome, complaint.concluded_on = ComplaintOutcome.FOUNDED_AFFECTING, date(2026, 11, 21)
    db.session.commit()
    concluded = main_of(_look_up(client, receipt).get_data(as_text=True))

    assert "已收到" in open_page and "<dt>办理结果</dt>" not in open_page
    assert "已办结" in concluded and "反映的问题属实,取消任用资格" in concluded and "2026年11月21日" in concluded
    for page in (open_page, concluded):
        assert [secret for secret in told if secret in page] == []


def test_p43_wrong_codes_are_rate_limited_per_client_and_right_ones_are_not(
        client: FlaskClient, db: SQLAlchemy, store_demo: Callable[..., Round]) -> None:
    store_demo()
    receipt = receipt_of(file_online(client))
    wrong = receipt[:-1] + str((int(receipt[-1]) + 1) % 10)

    # right codes do not count: more lookups than the limit, all answered
    assert all(_look_up(client, receipt).status_code == 200 for _ in range(5))
    # three wrong or malformed codes, then even the right code is refused from that client
    assert [_look_up(client, code).status_code for code in (wrong, "12345", wrong)] == [200, 200, 200]
    refused = _look_up(client, receipt)
    assert refused.status_code == 429 and "本机查询的回执码过多" in refused.get_data(as_text=True)
    assert "已收到" not in refused.get_data(as_text=True)
    # another client is not held up
    assert _look_up(client, receipt, address="198.51.100.2").status_code == 200

