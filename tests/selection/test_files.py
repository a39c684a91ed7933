"""Uploaded files (selection/files.py): type by content, size cap, generated names, served as attachments."""

from __future__ import annotations

import hashlib
import io

import pytest
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import func, select

from selection.files import (
    DOCUMENT_TYPES, JPEG, PDF, PNG, FileRefused, check_upload, detect_type, file_response, read_capped, store_file,
)
from selection.models import StoredFile

PDF_BYTES = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG_BYTES = b"\xff\xd8\xff\xe0" + b"\x00" * 32
EXE_BYTES = b"MZ\x90\x00\x03" + b"\x00" * 64
HTML_BYTES = b"<!doctype html><script>alert(1)</script>"


@pytest.mark.parametrize(("data", "kind"), [
    (PDF_BYTES, PDF), (PNG_BYTES, PNG), (JPEG_BYTES, JPEG), (EXE_BYTES, None), (HTML_BYTES, None),
    (b"  %PDF-1.4", None), (b"", None),
])
def test_the_type_is_read_from_the_content(data: bytes, kind: str | None) -> None:
    assert detect_type(data) == kind


@pytest.mark.parametrize("data", [EXE_BYTES, HTML_BYTES, b"GIF89a" + b"\x00" * 10])
def test_a_file_of_another_type_is_refused_whatever_its_name(data: bytes) -> None:
    with pytest.raises(FileRefused, match="not a PDF, PNG or JPEG"):
        check_upload(data, accepted=DOCUMENT_TYPES, max_bytes=1024)


def test_an_empty_or_oversize_file_is_refused_saying_the_limit() -> None:
    with pytest.raises(FileRefused, match="empty"):
        check_upload(b"", accepted=DOCUMENT_TYPES, max_bytes=1024)
    with pytest.raises(FileRefused, match="larger than 0.5 MB"):
        check_upload(PDF_BYTES + b"\x00" * 600_000, accepted=DOCUMENT_TYPES, max_bytes=512 * 1024)


def test_read_capped_reads_one_byte_past_the_limit_and_no_more() -> None:
    assert read_capped(io.BytesIO(b"x" * 100), 10) == b"x" * 11
    assert read_capped(io.BytesIO(b"x" * 5), 10) == b"x" * 5


@pytest.mark.db
def test_a_stored_file_has_a_generated_name_its_detected_type_and_a_digest(db: SQLAlchemy) -> None:
    first = store_file(check_upload(PDF_BYTES, accepted=DOCUMENT_TYPES, max_bytes=1024), uploaded_by=None)
    second = store_file(check_upload(JPEG_BYTES, accepted=DOCUMENT_TYPES, max_bytes=1024), uploaded_by=None)
    db.session.commit()

    assert first.name.endswith(".pdf") and second.name.endswith(".jpg") and first.name != second.name
    assert len(first.name) == 36 and first.name[:32].isalnum()
    assert (first.content_type, first.size, first.sha256) == (PDF, len(PDF_BYTES), hashlib.sha256(PDF_BYTES).hexdigest())
    assert db.session.scalar(select(func.count(StoredFile.id))) == 2


def test_a_file_goes_out_as_an_attachment_of_its_detected_type_never_sniffed(db: SQLAlchemy) -> None:
    stored = store_file(check_upload(PNG_BYTES, accepted=DOCUMENT_TYPES, max_bytes=1024), uploaded_by=None)

    response = file_response(stored, "letter-R1-W001")

    assert response.mimetype == PNG
    assert response.headers["Content-Disposition"] == "attachment; filename=letter-R1-W001.png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.get_data() == PNG_BYTES
