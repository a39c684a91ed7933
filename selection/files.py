"""Uploaded files (上传文件): type from the content, a size cap, a generated name, served as attachments.

An upload is trusted for nothing it says about itself: its type is read from its first
bytes (`detect_type`), never from the filename or the browser's Content-Type; it is
stored in the database (`StoredFile`, so every host serves it) under a random name; and
it goes back out only as a download with its detected type and ``nosniff``, so a
browser never renders it as a page (SECURITY.md P47).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from typing import IO

from flask import Response, has_request_context

from .extensions import db
from .i18n import _
from .models import StoredFile, User
from .rules import DomainError

PDF, PNG, JPEG = "application/pdf", "image/png", "image/jpeg"
#: what a scanned letter may be: a PDF, or a photo of it
DOCUMENT_TYPES: frozenset[str] = frozenset({PDF, PNG, JPEG})
#: the extension a stored name gets for each type
EXTENSIONS = {PDF: "pdf", PNG: "png", JPEG: "jpg"}
#: each type's signature: the bytes its content starts with
_SIGNATURES = ((b"%PDF-", PDF), (b"\x89PNG\r\n\x1a\n", PNG), (b"\xff\xd8\xff", JPEG))


def N_(message: str) -> str:
    """Mark a msgid for extraction; FileRefused translates it when shown."""
    return message


class FileRefused(DomainError):
    """An upload that is empty, too large or of a type not accepted; nothing was stored."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params

    def __str__(self) -> str:
        if has_request_context():
            return _(self.message, **self.params)
        return str(self.args[0])


def detect_type(data: bytes) -> str | None:
    """The type the content shows (PDF, PNG or JPEG by its signature), or None for anything else."""
    return next((kind for signature, kind in _SIGNATURES if data.startswith(signature)), None)


def read_capped(stream: IO[bytes], max_bytes: int) -> bytes:
    """At most `max_bytes` + 1 bytes of an upload: enough to tell that it is too large."""
    return stream.read(max_bytes + 1)


@dataclass(frozen=True)
class Upload:
    """An upload checked and ready to store: its bytes and the type its content shows."""

    data: bytes
    content_type: str


def check_upload(data: bytes, *, accepted: Collection[str], max_bytes: int) -> Upload:
    """Refuse an empty file, one over `max_bytes`, or one whose content is not of an `accepted` type."""
    if not data:
        raise FileRefused(N_("The file is empty."))
    if len(data) > max_bytes:
        raise FileRefused(N_("The file is larger than %(limit)s MB."), limit=megabytes(max_bytes))
    kind = detect_type(data)
    if kind is None or kind not in accepted:
        raise FileRefused(N_("The file is not a PDF, PNG or JPEG document (judged by its content, not its name)."))
    return Upload(data, kind)


def megabytes(size: int) -> str:
    """A size in MB as people write it: 5, 0.5."""
    return f"{size / (1024 * 1024):g}"


def store_file(upload: Upload, *, uploaded_by: User | None) -> StoredFile:
    """Keep a checked upload under a generated name. Flushes, never commits."""
    stored = StoredFile(
        name=f"{secrets.token_hex(16)}.{EXTENSIONS[upload.content_type]}", content_type=upload.content_type,
        size=len(upload.data), sha256=hashlib.sha256(upload.data).hexdigest(), data=upload.data,
        uploaded_by_id=None if uploaded_by is None else uploaded_by.id,
    )
    db.session.add(stored)
    db.session.flush()
    return stored


def file_response(stored: StoredFile, download_name: str) -> Response:
    """The file as a download: its detected type, never rendered inline, never sniffed, never cached."""
    response = Response(stored.data, mimetype=stored.content_type)
    filename = f"{download_name}.{stored.name.rsplit('.', 1)[-1]}"
    response.headers.set("Content-Disposition", "attachment", filename=filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response
