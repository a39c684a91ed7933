"""Filing through the public complaint form as a browser does, for the view tests and the probes."""

from __future__ import annotations

import re
from io import BytesIO
from typing import Any

from flask.testing import FlaskClient
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import TestResponse, encode_multipart

#: C010, P02's backfill in the demo round, is in publicity from 2026-11-16 to 2026-11-22
FORM = "/complaints/DEMO-2026/C010/new"
LOOKUP = "/complaints/receipt"
RECEIPT = re.compile(r'<p class="receipt-code" id="receipt">(\d{4}(?:-\d{4}){4})</p>')
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"0" * 64
TEXT = "该同志在任职期间收受他人礼金。"


def file_online(client: FlaskClient, url: str = FORM, *, environ: dict[str, str] | None = None,
                **fields: Any) -> TestResponse:
    """POST the complaint form; ``evidence=[(bytes, filename), ...]`` attaches files.

    The body is encoded in memory: the test client would spool a large one to a temporary
    file that it never closes.
    """
    data = MultiDict({"kind": "allegation", "content": TEXT, "identity": "anonymous"})
    for name, value in fields.items():
        if name == "evidence":
            data.setlist(name, [FileStorage(BytesIO(content), filename=filename) for content, filename in value])
        else:
            data[name] = value
    boundary, body = encode_multipart(data)
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}",
                       environ_base=environ or {})


def receipt_of(response: TestResponse) -> str:
    """The receipt code shown on the page a filing answered with (groups of four)."""
    found = RECEIPT.search(response.get_data(as_text=True))
    assert found, "no receipt code on the page"
    return found.group(1)


def main_of(page: str) -> str:
    return page[page.index("<main"):page.index("</main>")]
