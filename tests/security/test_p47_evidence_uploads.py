"""P47, the upload side: evidence sent with a public complaint is typed by its content, capped in
size, and stored under a generated name (ComplaintEvidence, never StoredFile).

The serving side (each file sent back as an attachment, nosniff, no-store) belongs to the
supervision workbench: tests/security/test_p47_evidence_served_as_attachment.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import func, select

from publicity import complaints
from publicity.models import Complaint, ComplaintEvidence
from selection.models import Round, StoredFile
from tests.conftest import make_test_config
from tests.publicity.complaint_support import PDF, PNG, file_online, receipt_of
from tests.vetting.conftest import DAY

pytestmark = pytest.mark.db
CAP = 64 * 1024
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


@pytest.fixture
def test_config(database_url: str) -> dict[str, Any]:
    return make_test_config(database_url, TODAY=DAY.isoformat(), COMPLAINT_EVIDENCE_MAX_BYTES=CAP)


def _counts(db: SQLAlchemy) -> tuple[int, int, int]:
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (Complaint, ComplaintEvidence, StoredFile))


@pytest.mark.parametrize(("content", "filename"), [
    (b"<!doctype html><script>alert(document.cookie)</script>", "scan.png"),
    (b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", "scan.pdf"),
    (b"MZ\x90\x00" + b"\x00" * 64, "letter.jpg"),
    (b"GIF89a" + b"\x00" * 64, "photo.gif"),
])
def test_p47_a_file_whose_content_is_not_pdf_png_or_jpeg_is_refused_whatever_its_name(
        client: FlaskClient, db: SQLAlchemy, store_demo: Callable[..., Round], content: bytes, filename: str) -> None:
    store_demo()
    before = _counts(db)

    response = file_online(client, evidence=[(PNG, "fine.png"), (content, filename)])

    page = response.get_data(as_text=True)
    assert "receipt-code" not in page and "按文件内容判断" in page and filename in page
    assert _counts(db) == before  # not the complaint, not the good file either


def test_p47_the_type_kept_is_the_contents_not_the_name_or_the_browsers(
        client: FlaskClient, db: SQLAlchemy, store_demo: Callable[..., Round]) -> None:
    store_demo()

    response = file_online(client, evidence=[(PNG, "really-a-png.pdf"), (PDF, "really-a-pdf.jpg"),
                                             (JPEG, "really-a-jpeg")])

    evidence = complaints.find_by_receipt(receipt_of(response)).evidence
    assert [(e.content_type, e.name.rsplit(".", 1)[1]) for e in evidence] == [
        ("image/png", "png"), ("application/pdf", "pdf"), ("image/jpeg", "jpg")]


def test_p47_the_size_is_capped_per_file_at_the_configured_bytes(
        client: FlaskClient, db: SQLAlchemy, store_demo: Callable[..., Round]) -> None:
    store_demo()
    before = _counts(db)
    at_cap, over_cap = PNG + b"\x00" * (CAP - len(PNG)), PNG + b"\x00" * (CAP - len(PNG) + 1)

    refused = file_online(client, evidence=[(over_cap, "big.png")])
    accepted = file_online(client, evidence=[(at_cap, "exact.png")])

    assert "receipt-code" not in refused.get_data(as_text=True) and "文件超过0.0625 MB" in refused.get_data(as_text=True)
    evidence = complaints.find_by_receipt(receipt_of(accepted)).evidence
    assert [e.size for e in evidence] == [CAP]
    assert _counts(db) == (before[0] + 1, before[1] + 1, before[2])


def test_p47_files_are_kept_under_generated_names_and_never_as_stored_files(
        client: FlaskClient, db: SQLAlchemy, store_demo: Callable[..., Round]) -> None:
    store_demo()
    before = _counts(db)

    first = file_online(client, evidence=[(PNG, "../../etc/passwd.png"), (PNG, "举报人张三的照片.png")])
    second = file_online(client, evidence=[(PNG, "../../etc/passwd.png")])

    names = [e.name for r in (first, second) for e in complaints.find_by_receipt(receipt_of(r)).evidence]
    assert all(re.fullmatch(r"[0-9a-f]{32}\.png", name) for name in names) and len(set(names)) == 3
    stored = " ".join(f"{e.name} {e.content_type}" for e in db.session.scalars(select(ComplaintEvidence)))
    assert "passwd" not in stored and "张三" not in stored
    assert _counts(db)[2] == before[2]
