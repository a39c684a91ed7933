"""Security headers (安全响应头) on every response (SECURITY.md, "Headers"; probe P27).

One policy for the whole app, set after each request:

* a Content-Security-Policy with no inline script or style at all (every script is a file
  under /static, charts use presentation attributes), no plugins, no framing, forms posting
  only back to the app;
* ``nosniff``, ``Referrer-Policy: same-origin`` (Flask-WTF's HTTPS referrer check needs the
  referrer on same-origin posts) and HSTS when the request came over HTTPS;
* ``Cache-Control: no-store`` on every page a signed-in user sees (they carry personal data,
  ballots or complaints), unless the view already chose a policy; public pages stay cacheable.

A view may set its own header before this runs; this only fills what is missing, except the
CSP, which is never relaxed by a view.
"""

from __future__ import annotations

from flask import Flask, Response, request
from flask_login import current_user

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
#: one year, as browsers' preload lists ask; sent only over HTTPS (RFC 6797 §7.2)
HSTS = "max-age=31536000; includeSubDomains"


def set_security_headers(response: Response) -> Response:
    headers = response.headers
    headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")  # for browsers older than frame-ancestors
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", HSTS)
    if "Cache-Control" not in headers and current_user and current_user.is_authenticated:
        headers["Cache-Control"] = "no-store"
    return response


def init_headers(app: Flask) -> None:
    app.after_request(set_security_headers)
