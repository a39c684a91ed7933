"""Language selection (语言): Chinese by default, English on request.

``?lang=en`` (or ``?lang=zh_Hans_CN``) picks a language and a cookie remembers it;
otherwise the system speaks Chinese, whatever the browser's Accept-Language says: many
office and kiosk browsers in China are set to English, and a public notice must not
change language under the reader's feet (docs/decisions.md).
"""

from __future__ import annotations

from flask import Response, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

__all__ = ["LOCALES", "_", "_l", "html_lang", "remember_locale", "select_locale"]

#: locale → the value of ``<html lang>``
LOCALES: dict[str, str] = {"zh_Hans_CN": "zh-CN", "en": "en"}
DEFAULT_LOCALE = "zh_Hans_CN"
COOKIE = "lang"
_COOKIE_MAX_AGE = 365 * 24 * 3600


def select_locale() -> str:
    """Flask-Babel's locale selector."""
    asked = request.args.get("lang")
    if asked in LOCALES:
        return asked
    remembered = request.cookies.get(COOKIE)
    if remembered in LOCALES:
        return remembered
    return DEFAULT_LOCALE


def remember_locale(response: Response) -> Response:
    """Keep a language chosen with ``?lang=`` in a cookie (after_request hook)."""
    asked = request.args.get("lang")
    if asked in LOCALES and request.cookies.get(COOKIE) != asked:
        response.set_cookie(
            COOKIE, asked, max_age=_COOKIE_MAX_AGE, httponly=True, samesite="Lax",
            secure=request.is_secure,
        )
    return response


def html_lang() -> str:
    """The ``<html lang>`` value of the current request's language."""
    return LOCALES.get(str(get_locale()), LOCALES[DEFAULT_LOCALE])
