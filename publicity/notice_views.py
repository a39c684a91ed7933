"""The public notices (公告公示): anyone reads them, no login, on a phone or on paper.

`/notices` lists what is current: the publicity notices running today, the current
inspection notices, the announcements and the published lists; `/notices/archive` keeps
every notice with its date. Each notice is also a PDF download. The organisation
department writes, edits and publishes free notices under `/notices/admin/`.
How a screen is built: docs/web.md. The use cases are `publicity.notices`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask.wrappers import Response
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import func, select

from selection.auth import public, requires_role
from selection.clock import now, today
from selection.extensions import db
from selection.i18n import _
from selection.models import Position, Role, Round
from selection.rounds import find_round
from selection.web import save, submitted

from . import notice_documents as documents
from . import notices, services
from .labels import EDUCATION_LABELS, SEX_LABELS
from .models import Notice
from .notice_forms import NoticeForm, PublishNoticeForm
from .notice_pdf import NoticeDocument, render_notice
from .notice_rules import PublishedList

bp = Blueprint("notices", __name__, url_prefix="/notices", template_folder="templates")

POSITION_URL = "/rounds/<code>/positions/<position>"


def _round(code: str) -> Round:
    return find_round(code) or abort(404)


def _position(code: str, position: str) -> Position:
    return services.find_position(code, position) or abort(404)


def _publicity(code: str, position: str, ref: str) -> notices.PublicityShown:
    return notices.find_publicity(_position(code, position), ref, today=today()) or abort(404)


def _inspection(code: str, position: str) -> notices.InspectionShown:
    return notices.find_inspection(_position(code, position), today=today()) or abort(404)


def _complaint_url(shown: notices.PublicityShown) -> str | None:
    """The online complaint form of a running publicity (None once it has ended)."""
    if not shown.running:
        return None
    return url_for("complaints.file_complaint", code=shown.round.code, ref=shown.candidate.ref)


def _render(template: str, **context: object) -> str:
    return render_template(template, sex_labels=SEX_LABELS, education_labels=EDUCATION_LABELS,
                           list_titles=documents.list_titles(), kinds=notices.NOTICE_KINDS, **context)


def _pdf(document: NoticeDocument, filename: str) -> Response:
    """A notice as a PDF download: an attachment, never shown inline, not for other sites to embed."""
    response = Response(render_notice(document), mimetype="application/pdf")
    response.headers.set("Content-Disposition", "attachment", filename=f"{filename}.pdf")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


# --- public pages ---------------------------------------------------------------------------


@bp.get("")
@public
def list_notices() -> ResponseReturnValue:
    key = _home_key()
    pages: _Pages = current_app.extensions.setdefault(_PAGES, _Pages())
    if key is None:
        return _render("notices/notice_list.html", home=notices.notices_home(today=today()))
    return pages.get(key, lambda: _render("notices/notice_list.html", home=notices.notices_home(today=today())))


#: where the app keeps the notices home as rendered (app.extensions)
_PAGES = "notices_home_pages"


class _Pages:
    """The notices home as last rendered for each key, per process; a few keys, the newest kept.

    On deadline and publication days everyone opens the same page: rendering it once per change
    instead of once per visitor makes it nearly as cheap as the stack's own limit (issue 8).
    """

    SIZE = 8

    def __init__(self) -> None:
        self._pages: OrderedDict[tuple[object, ...], str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[object, ...], render: Callable[[], str]) -> str:
        with self._lock:
            if key in self._pages:
                self._pages.move_to_end(key)
                return self._pages[key]
        page = render()
        with self._lock:
            self._pages[key] = page
            while len(self._pages) > self.SIZE:
                self._pages.popitem(last=False)
        return page


def _home_key() -> tuple[object, ...] | None:
    """Everything the notices home depends on, or None when this visitor's page is their own.

    Each round's data revision covers all the page shows of a round (its title and
    announcement, positions, lists, publicities, complaints, inspection notices: every change
    to them gives the round a new one, selection/record/cache.py); a free notice never changes
    once published, so the published ones are counted; the date and the language complete it.
    A revision is never used twice, so a page rendered while a change commits is kept under a
    key nobody asks for again. A signed-in visitor (the header names them), one with a message
    waiting, or one asking with a query string gets a page rendered for them.
    """
    if current_user.is_authenticated or request.args or session.get("_flashes"):
        return None
    rounds = tuple(tuple(row) for row in db.session.execute(select(Round.id, Round.data_revision).order_by(Round.id)))
    published = tuple(db.session.execute(select(func.count(Notice.id), func.max(Notice.id))
                                         .where(Notice.published_at.is_not(None))).one())
    return (str(get_locale()), today(), rounds, published)


@bp.get("/archive")
@public
def list_archive() -> ResponseReturnValue:
    page = notices.archive_page(request.args.get("page", 1, type=int), today=today()) or abort(404)
    return _render("notices/archive_list.html", archive=page)


@bp.get(POSITION_URL + "/publicity/<ref>")
@public
def show_publicity_notice(code: str, position: str, ref: str) -> ResponseReturnValue:
    shown = _publicity(code, position, ref)
    return _render("notices/publicity_show.html", shown=shown, complaint_url=_complaint_url(shown),
                   ways=documents.complaint_lines(shown))


@bp.get(POSITION_URL + "/publicity/<ref>/pdf")
@public
def download_publicity_notice(code: str, position: str, ref: str) -> ResponseReturnValue:
    shown = _publicity(code, position, ref)
    online = _complaint_url(shown)
    document = documents.publicity_document(shown, url_for("complaints.file_complaint", code=code, ref=ref,
                                                           _external=True) if online else None)
    return _pdf(document, f"publicity-{code}-{position}-{ref}")


@bp.get(POSITION_URL + "/inspection")
@public
def show_inspection_notice(code: str, position: str) -> ResponseReturnValue:
    return _render("notices/inspection_show.html", shown=_inspection(code, position))


@bp.get(POSITION_URL + "/inspection/pdf")
@public
def download_inspection_notice(code: str, position: str) -> ResponseReturnValue:
    return _pdf(documents.inspection_document(_inspection(code, position)), f"inspection-{code}-{position}")


@bp.get("/rounds/<code>/lists")
@public
def show_lists(code: str) -> ResponseReturnValue:
    shown = notices.round_notices(_round(code), today=today())
    return _render("notices/lists_show.html", shown=shown, elected=PublishedList.ELECTED)


@bp.get("/rounds/<code>/lists/pdf")
@public
def download_lists(code: str) -> ResponseReturnValue:
    shown = notices.round_notices(_round(code), today=today())
    if not shown.lists:
        abort(404)
    return _pdf(documents.lists_document(shown.round, shown.lists, shown.day), f"lists-{code}")


@bp.get("/<int:notice_id>")
@public
def show_notice(notice_id: int) -> ResponseReturnValue:
    notice = notices.find_published_notice(notice_id) or abort(404)
    return _render("notices/notice_show.html", notice=notice, published=notices.local_date(notice.published_at))


@bp.get("/<int:notice_id>/pdf")
@public
def download_notice(notice_id: int) -> ResponseReturnValue:
    notice = notices.find_published_notice(notice_id) or abort(404)
    return _pdf(documents.notice_document(notice), f"notice-{notice.round.code}-{notice.id}")


# --- free notices: the organisation department's drafts -----------------------------------


@bp.get("/admin/rounds/<code>")
@requires_role(Role.ADMIN)
def list_round_notices(code: str) -> ResponseReturnValue:
    round_ = _round(code)
    return _render("notices/admin_list.html", round=round_, notices=notices.round_notice_list(round_),
                   form=NoticeForm(), publish=PublishNoticeForm())


@bp.post("/admin/rounds/<code>")
@requires_role(Role.ADMIN)
def create_notice(code: str) -> ResponseReturnValue:
    round_ = _round(code)
    form = NoticeForm()
    submitted(form, lambda: notices.create_notice(round_, form.kind.data, form.title.data, form.body.data,
                                                  actor=current_user.username),
              _("The draft is saved. It is not public until you publish it."))
    return redirect(url_for(".list_round_notices", code=code))


@bp.get("/admin/rounds/<code>/<int:notice_id>")
@requires_role(Role.ADMIN)
def edit_notice(code: str, notice_id: int) -> ResponseReturnValue:
    notice = notices.find_round_notice(_round(code), notice_id) or abort(404)
    form = NoticeForm(obj=notice, seen=notices.draft_digest(notice))
    return _render("notices/admin_edit.html", round=notice.round, notice=notice, form=form,
                   publish=PublishNoticeForm())


@bp.post("/admin/rounds/<code>/<int:notice_id>")
@requires_role(Role.ADMIN)
def save_notice(code: str, notice_id: int) -> ResponseReturnValue:
    notice = notices.find_round_notice(_round(code), notice_id) or abort(404)
    form = NoticeForm()
    submitted(form, lambda: notices.edit_notice(notice, form.kind.data, form.title.data, form.body.data,
                                                seen=form.seen.data or "", actor=current_user.username),
              _("The draft is saved."))
    return redirect(url_for(".edit_notice", code=code, notice_id=notice_id))


@bp.post("/admin/rounds/<code>/<int:notice_id>/publish")
@requires_role(Role.ADMIN)
def publish_notice(code: str, notice_id: int) -> ResponseReturnValue:
    notice = notices.find_round_notice(_round(code), notice_id) or abort(404)
    if PublishNoticeForm().validate_on_submit():
        save(lambda: notices.publish_notice(notice, actor=current_user.username, at=now()),
             _("The notice is published."))
    return redirect(url_for(".list_round_notices", code=code))
