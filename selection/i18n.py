"""Language selection (语言): Chinese by default, English on request.

``?lang=en`` (or ``?lang=zh_Hans_CN``) picks a language and a cookie remembers it;
otherwise the system speaks Chinese, whatever the browser's Accept-Language says: many
office and kiosk browsers in China are set to English, and a public notice must not
change language under the reader's feet (docs/decisions.md).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, g, has_app_context, request
from flask_babel import LazyString, get_locale, get_translations
from babel.support import NullTranslations

__all__ = ["LOCALES", "_", "_l", "html_lang", "init_i18n", "remember_locale", "select_locale"]

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


# ---------------------------------------------------------------- translating, fast


def _catalog() -> NullTranslations:
    """The catalog of the current locale, found once per request (and per `force_locale`).

    Flask-Babel finds it again for every string it translates: nine context-local lookups and
    the locale's name each time, some 12 µs, which made a tenth of the status page's time
    (issue 8). It is kept in Flask-Babel's own per-context namespace beside the locale object it
    is for; `force_locale` puts another locale object there, so the catalog is found again.
    """
    space = getattr(g, "_flask_babel", None) if has_app_context() else None
    locale = getattr(space, "babel_locale", None)
    if locale is not None:
        kept = getattr(space, "selection_catalog", None)
        if kept is not None and kept[0] is locale:
            return kept[1]  # type: ignore[no-any-return]
    translations = get_translations()
    space = getattr(g, "_flask_babel", None) if has_app_context() else None
    if space is not None and getattr(space, "babel_locale", None) is not None:
        space.selection_catalog = (space.babel_locale, translations)
    return translations


def _(string: str, **variables: Any) -> str:
    """Flask-Babel's `gettext`, with the catalog found once per request."""
    translated = _catalog().ugettext(string)
    return translated if not variables else translated % variables


def _l(string: str, **variables: Any) -> LazyString:
    """Flask-Babel's `lazy_gettext`: translated when shown, in the locale of that moment."""
    return LazyString(_, string, **variables)


def init_i18n(app: Flask) -> None:
    """Templates translate with the same fast lookup (after `babel.init_app`, which installs its own)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _catalog().ugettext(s),
        ngettext=lambda s, p, n: _catalog().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _catalog().upgettext(c, s),
        npgettext=lambda c, s, p, n: _catalog().unpgettext(c, s, p, n),
    )
