"""Exam logistics screens (考务): venues, rooms, seating, admission tickets, sign-in, attendance.

The organisation department sets up venues and rooms, seats the written exam, prints the
tickets and the sign-in sheets and marks who was absent; a candidate downloads their own
ticket (found from the signed-in user alone, SECURITY.md P13); anyone holding a ticket can
check it through the QR code's signed URL. Services: exams/logistics.py; PDFs: exams/pdf.py.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import click
from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_date, format_time, get_locale, refresh
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from exams import logistics, pdf
from exams.forms import AttendanceForm, RoomForm, RoundVersionForm, SeatingForm, VenueForm
from exams.models import ExamRoom, Seating, Venue
from selection.auth import public, requires_role, signed_in_user
from selection.clock import TIMEZONE, now, today
from selection.extensions import db, limiter
from selection.i18n import DEFAULT_LOCALE, LOCALES, _, _l
from selection.labels import STAGE_LABELS, STATUS_LABELS
from selection.models import Role, Round
from selection.pipeline import PipelineError
from selection.record.services import round_state
from selection.record.store import find_round
from selection.rules import DomainError, resolve_settings
from selection.services import StaleEdit, candidacy_in
from selection.web import flash_refusal, no_store, refusal_message, whole_number

bp = Blueprint("tickets", __name__, template_folder="templates")

#: What the services refuse, shown through `flash_refusal`.
REFUSALS = (DomainError, PipelineError, StaleEdit)
#: verification requests per client address (SECURITY.md: anonymous endpoints are rate-limited)
DEFAULT_VERIFY_LIMIT = "30 per minute"

#: the default paper's name (RULES.md §2 `written_papers`) in words; other papers are named by the round
PAPER_MSGIDS = {"written": "Written exam"}

#: The candidate instructions (考生须知) printed on every admission ticket.
INSTRUCTIONS = (
    _l("Bring this ticket and your resident identity card: both are checked at the entrance, and a candidate "
       "without either is not admitted."),
    _l("Arrive at the venue 30 minutes before the exam starts. A candidate more than 15 minutes late is not "
       "admitted, and nobody may leave during the first 30 minutes."),
    _l("Sit at the seat whose number is on this ticket, and place the ticket and the identity card at the top "
       "left corner of the desk for checking."),
    _l("Bring only black ink pens, 2B pencils and an eraser. Mobile phones, watches that can communicate and "
       "other electronic devices are switched off and left where the invigilators say; books and notes are not "
       "allowed."),
    _l("Follow the invigilators' instructions. Cheating, or helping others cheat, is dealt with under the rules "
       "on discipline in public examinations, and the exam result is void."),
    _l("Keep this ticket until the selection is over: it is needed again for the interview and for score "
       "queries. Scanning the QR code shows whether the ticket is genuine."),
)


# ---------------------------------------------------------------- helpers


def _round(code: str) -> Round:
    return find_round(code) or abort(404)


def _room(round_: Round, room_id: int) -> ExamRoom:
    return logistics.find_room(round_, room_id) or abort(404)


def _venue(round_: Round, venue_id: int) -> Venue:
    return logistics.find_venue(round_, venue_id) or abort(404)


def _seating(round_: Round) -> Seating:
    return logistics.written_seating(round_) or abort(404)



def _back(code: str) -> ResponseReturnValue:
    return redirect(url_for(".show_logistics", code=code))




def _pdf(data: bytes, filename: str) -> Response:
    """A PDF download: never cached (names and seats are personal data)."""
    response = make_response(data)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return no_store(response)


def _apply(form: FlaskForm, code: str, action: Callable[[], object], done: str) -> ResponseReturnValue:
    """Validate a logistics form, run its service, commit and say so; or roll back and say why not."""
    if not form.validate_on_submit():
        problems = "; ".join(f"{field.label.text}: {error}" for field in form if field.errors
                             for error in field.errors)
        flash(_("The form could not be read; nothing was saved. %(problems)s", problems=problems), "error")
        return _back(code)
    try:
        action()
    except REFUSALS as error:
        db.session.rollback()
        flash_refusal(error)
    else:
        db.session.commit()
        flash(done, "success")
    return _back(code)


def paper_label(paper: str) -> str:
    return _(PAPER_MSGIDS[paper]) if paper in PAPER_MSGIDS else paper


def exam_time_text(seating: Seating) -> str:
    """The exam's day and times in Asia/Shanghai: 2026年11月28日 09:00–11:30."""
    return _("%(day)s %(start)s–%(end)s", day=format_date(seating.starts_at),
             start=format_time(seating.starts_at, "HH:mm"), end=format_time(seating.ends_at, "HH:mm"))


def _papers_text(round_: Round) -> str:
    separator = "、" if str(get_locale()).startswith("zh") else ", "
    return separator.join(paper_label(p) for p in resolve_settings(round_.settings or {}).written_papers)


def lock_text(lock: Exception | str | None) -> str:
    """Why absence cannot be marked for a seat, in words."""
    if lock is None:
        return ""
    return refusal_message(lock) if isinstance(lock, Exception) else _(lock)


# ---------------------------------------------------------------- venues and rooms


def _logistics_forms(round_: Round, venues: Sequence[Venue], seating: Seating | None) -> dict[str, Any]:
    """Every form of the logistics page, filled with what is stored and the round's version."""
    version = round_.version_id
    seating_data: dict[str, Any] = {"version": version}
    if seating is not None:
        starts, ends = seating.starts_at.astimezone(TIMEZONE), seating.ends_at.astimezone(TIMEZONE)
        seating_data |= {"day": starts.date(), "starts": starts.time(), "ends": ends.time(),
                         "prefix": seating.ticket_prefix}
    return {
        "new_venue": VenueForm(formdata=None, prefix="venue-new", data={"version": version}),
        "venues": {v.id: VenueForm(formdata=None, prefix=f"venue-{v.id}", data={
            "version": version, "name": v.name, "address": v.address, "ordinal": v.ordinal}) for v in venues},
        "new_rooms": {v.id: RoomForm(formdata=None, prefix=f"room-new-{v.id}", data={"version": version})
                      for v in venues},
        "rooms": {r.id: RoomForm(formdata=None, prefix=f"room-{r.id}", data={
            "version": version, "name": r.name, "capacity": r.capacity, "ordinal": r.ordinal})
            for v in venues for r in v.rooms},
        "remove": RoundVersionForm(formdata=None, data={"version": version}),
        "seating": SeatingForm(formdata=None, prefix="seating", data=seating_data),
    }


@bp.get("/tickets/rounds/<code>")
@requires_role(Role.ADMIN)
def show_logistics(code: str) -> ResponseReturnValue:
    round_ = _round(code)
    check = logistics.check_seating(round_, now=now(), today=today())
    seating = logistics.written_seating(round_)
    venues = logistics.venues_of(round_)
    return render_template(
        "tickets/logistics_show.html", round=round_, venues=venues, check=check, seating=seating,
        issued=logistics.tickets_per_room(round_), forms=_logistics_forms(round_, venues, seating),
        refusal=None if check.refusal is None else refusal_message(check.refusal),
        absent=logistics.absences_in(seating) if seating else 0, exam_time=exam_time_text(seating) if seating else "",
        positions=logistics.written_positions(round_), stage_labels=STAGE_LABELS)


@bp.post("/tickets/rounds/<code>/venues")
@requires_role(Role.ADMIN)
def add_venue(code: str) -> ResponseReturnValue:
    round_, form = _round(code), VenueForm(prefix="venue-new")
    return _apply(form, code, lambda: logistics.add_venue(
        round_, form.name.data, form.address.data, seen_version=form.version.data, actor=signed_in_user()),
        _("Venue %(name)s added.", name=form.name.data))


@bp.post("/tickets/rounds/<code>/venues/<int:venue>")
@requires_role(Role.ADMIN)
def update_venue(code: str, venue: int) -> ResponseReturnValue:
    venue_ = _venue(_round(code), venue)
    form = VenueForm(prefix=f"venue-{venue}")
    return _apply(form, code, lambda: logistics.update_venue(
        venue_, form.name.data, form.address.data, form.ordinal.data or 0, seen_version=form.version.data,
        actor=signed_in_user()), _("Venue %(name)s saved.", name=form.name.data))


@bp.post("/tickets/rounds/<code>/venues/<int:venue>/remove")
@requires_role(Role.ADMIN)
def remove_venue(code: str, venue: int) -> ResponseReturnValue:
    venue_, form = _venue(_round(code), venue), RoundVersionForm()
    return _apply(form, code, lambda: logistics.remove_venue(venue_, seen_version=form.version.data,
                                                             actor=signed_in_user()),
                  _("Venue %(name)s removed.", name=venue_.name))


@bp.post("/tickets/rounds/<code>/venues/<int:venue>/rooms")
@requires_role(Role.ADMIN)
def add_room(code: str, venue: int) -> ResponseReturnValue:
    venue_ = _venue(_round(code), venue)
    form = RoomForm(prefix=f"room-new-{venue}")
    return _apply(form, code, lambda: logistics.add_room(
        venue_, form.name.data, form.capacity.data, seen_version=form.version.data, actor=signed_in_user()),
        _("Room %(name)s added.", name=form.name.data))


@bp.post("/tickets/rounds/<code>/rooms/<int:room>/edit")
@requires_role(Role.ADMIN)
def update_room(code: str, room: int) -> ResponseReturnValue:
    room_ = _room(_round(code), room)
    form = RoomForm(prefix=f"room-{room}")
    return _apply(form, code, lambda: logistics.update_room(
        room_, form.name.data, form.capacity.data, form.ordinal.data or 0, seen_version=form.version.data,
        actor=signed_in_user()), _("Room %(name)s saved.", name=form.name.data))


@bp.post("/tickets/rounds/<code>/rooms/<int:room>/remove")
@requires_role(Role.ADMIN)
def remove_room(code: str, room: int) -> ResponseReturnValue:
    room_, form = _room(_round(code), room), RoundVersionForm()
    return _apply(form, code, lambda: logistics.remove_room(room_, seen_version=form.version.data,
                                                           actor=signed_in_user()),
                  _("Room %(name)s removed.", name=room_.name))


# ---------------------------------------------------------------- seating


@bp.post("/tickets/rounds/<code>/seating")
@requires_role(Role.ADMIN)
def seat_written_exam(code: str) -> ResponseReturnValue:
    round_, form = _round(code), SeatingForm(prefix="seating")

    def seat() -> object:
        starts = datetime.combine(form.day.data, form.starts.data, TIMEZONE).astimezone(UTC)
        ends = datetime.combine(form.day.data, form.ends.data, TIMEZONE).astimezone(UTC)
        return logistics.seat_written_exam(round_, starts_at=starts, ends_at=ends, prefix=form.prefix.data,
                                           seen_version=form.version.data, actor=signed_in_user(), now=now(),
                                           today=today())

    return _apply(form, code, seat, _("The written exam is seated and its admission tickets are issued."))


# ---------------------------------------------------------------- attendance


def _typed_attendance() -> tuple[dict[str, bool], dict[str, int]]:
    """The ticks of the attendance form, for the seats the page showed (those with a version field)."""
    marks, versions = {}, {}
    for key, value in request.form.items():
        if key.startswith("version-") and (version := whole_number(value)) is not None:
            ref = key.removeprefix("version-")
            versions[ref] = version
            marks[ref] = request.form.get(f"absent-{ref}") == "1"
    return marks, versions


@bp.route("/tickets/rounds/<code>/rooms/<int:room>", methods=["GET", "POST"])
@requires_role(Role.ADMIN)
def record_attendance(code: str, room: int) -> ResponseReturnValue:
    round_ = _round(code)
    room_ = _room(round_, room)
    if request.method == "POST":
        if not AttendanceForm().validate_on_submit():
            abort(400)
        marks, versions = _typed_attendance()
        try:
            logistics.record_attendance(room_, marks, versions=versions, actor=signed_in_user(), today=today())
        except REFUSALS as error:
            db.session.rollback()
            flash_refusal(error)
        else:
            db.session.commit()
            flash(_("Attendance saved."), "success")
        return redirect(request.url)
    seating = logistics.written_seating(round_)
    roster = logistics.room_roster(room_, seating, round_state(round_, today=today())) if seating else []
    return no_store(make_response(render_template(
        "tickets/room_attendance.html", round=round_, room=room_, seating=seating, roster=roster,
        form=AttendanceForm(), lock_text=lock_text, status_labels=STATUS_LABELS,
        exam_time=exam_time_text(seating) if seating else "")))


# ---------------------------------------------------------------- admission tickets and sign-in sheets


def _ticket_words(round_: Round, seating: Seating) -> pdf.TicketWords:
    return pdf.TicketWords(
        round_title=round_.title, document=_("Admission ticket for the written exam"),
        labels=(_("Ticket number"), _("Name"), _("Position applied for"), _("Venue"), _("Venue address"),
                _("Exam room"), _("Seat"), _("Exam time"), _("Papers")),
        exam_time=exam_time_text(seating), papers=_papers_text(round_),
        instructions_heading=_("Instructions for candidates"), instructions=tuple(str(i) for i in INSTRUCTIONS),
        qr_caption=_("Scan to verify this ticket"))


def _verify_prefix() -> str:
    """The absolute verification URL up to the ticket number: url_for once for a file, not per ticket."""
    return url_for("tickets.verify_ticket", number="0", signature="0", _external=True).removesuffix("0/0")


def _printed(row: logistics.TicketRow, prefix: str | None = None) -> pdf.Ticket:
    signature = logistics.ticket_signature(row)
    if prefix is not None and row.number.isascii() and row.number.isalnum():
        # letters and digits, and a base64url signature, are what url_for would write unquoted
        url = f"{prefix}{row.number}/{signature}"
    else:
        url = url_for("tickets.verify_ticket", number=row.number, signature=signature, _external=True)
    return pdf.Ticket(number=row.number, name=row.name, position=row.position, venue=row.venue, address=row.address,
                      room=row.room, seat=str(row.seat), verify_url=url)


def render_ticket_pdf(round_: Round, seating: Seating, rows: Sequence[logistics.TicketRow]) -> bytes:
    """The tickets of `rows`, one A4 page each, in the request's language."""
    prefix = _verify_prefix()
    return pdf.render_tickets((_printed(row, prefix) for row in rows), _ticket_words(round_, seating))


def render_sign_in_pdf(round_: Round, seating: Seating, rows: Sequence[logistics.TicketRow]) -> bytes:
    """The sign-in sheets of the rooms of `rows`, room by room, seats in order."""
    rooms: dict[int, list[logistics.TicketRow]] = {}
    for row in rows:
        rooms.setdefault(row.room_id, []).append(row)
    sheets = [pdf.SignInRoom(venue=seated[0].venue, address=seated[0].address, room=seated[0].room,
                             rows=tuple(pdf.SignInRow(str(r.seat), r.number, r.name, r.position)
                                        for r in sorted(seated, key=lambda r: r.seat)))
              for seated in rooms.values()]
    words = pdf.SignInWords(
        round_title=round_.title, document=_("Exam room sign-in sheet"), venue=_("Venue"),
        address=_("Venue address"), room=_("Exam room"), exam_time_label=_("Exam time"),
        exam_time=exam_time_text(seating),
        columns=(_("Seat"), _("Ticket number"), _("Name"), _("Position applied for"), _("Candidate's signature")),
        footer=_("Invigilators' signatures: ______________    Present: ______    Absent: ______"),
        page_of=_("Page %(page)s of %(pages)s"))
    return pdf.render_sign_in_sheets(sheets, words)


@bp.get("/tickets/rounds/<code>/tickets.pdf")
@requires_role(Role.ADMIN)
def print_tickets(code: str) -> ResponseReturnValue:
    round_ = _round(code)
    seating = _seating(round_)
    return _pdf(render_ticket_pdf(round_, seating, logistics.ticket_rows(seating)), f"tickets-{round_.code}.pdf")


@bp.get("/tickets/rounds/<code>/rooms/<int:room>/tickets.pdf")
@requires_role(Role.ADMIN)
def print_room_tickets(code: str, room: int) -> ResponseReturnValue:
    round_ = _round(code)
    room_, seating = _room(round_, room), _seating(round_)
    return _pdf(render_ticket_pdf(round_, seating, logistics.ticket_rows(seating, room_)),
                f"tickets-{round_.code}-room-{room_.id}.pdf")


@bp.get("/tickets/rounds/<code>/sign-in.pdf")
@requires_role(Role.ADMIN)
def print_sign_in_sheets(code: str) -> ResponseReturnValue:
    round_ = _round(code)
    seating = _seating(round_)
    return _pdf(render_sign_in_pdf(round_, seating, logistics.ticket_rows(seating)), f"sign-in-{round_.code}.pdf")


@bp.get("/tickets/rounds/<code>/rooms/<int:room>/sign-in.pdf")
@requires_role(Role.ADMIN)
def print_room_sign_in_sheet(code: str, room: int) -> ResponseReturnValue:
    round_ = _round(code)
    room_, seating = _room(round_, room), _seating(round_)
    return _pdf(render_sign_in_pdf(round_, seating, logistics.ticket_rows(seating, room_)),
                f"sign-in-{round_.code}-room-{room_.id}.pdf")


@bp.get("/me/rounds/<code>/ticket.pdf")
@requires_role(Role.CANDIDATE)
def my_ticket(code: str) -> ResponseReturnValue:
    round_ = _round(code)
    candidate = candidacy_in(signed_in_user(), round_)
    row = logistics.ticket_of(candidate) if candidate is not None else None
    if row is None:
        return no_store(make_response(render_template("tickets/ticket_missing.html", round=round_), 404))
    return _pdf(own_ticket_pdf(round_, _seating(round_), row), f"ticket-{row.number}.pdf")


# ---------------------------------------------------------------- pre-generated tickets


def own_ticket_pdf(round_: Round, seating: Seating, row: logistics.TicketRow) -> bytes:
    """One candidate's ticket in the request's language: the pre-generated file when one is stored
    and still prints exactly this, else rendered now (and not stored: a GET changes nothing)."""
    printed, words = _printed(row), _ticket_words(round_, seating)
    stored = logistics.stored_ticket_pdf(row.number, str(get_locale()), pdf.ticket_digest(printed, words))
    return stored if stored is not None else pdf.render_tickets([printed], words)


def pregenerate_tickets(round_: Round, seating: Seating) -> Iterator[int]:
    """Render every ticket of the seating on its own, in the request's language, and store it;
    room by room (memory stays flat), yielding each room's count so the caller can commit."""
    words, locale, prefix = _ticket_words(round_, seating), str(get_locale()), _verify_prefix()
    for room in logistics.rooms_of(round_):
        files = {}
        for row in logistics.ticket_rows(seating, room):
            printed = _printed(row, prefix)
            files[row.number] = (pdf.ticket_digest(printed, words), pdf.render_tickets([printed], words))
        if files:
            logistics.store_ticket_pdfs(seating, locale, files)
            yield len(files)


@bp.cli.command("pregenerate")
@click.argument("code")
@click.option("--base-url", help="The site's address as candidates open it, e.g. https://zzb.example.gov.cn: "
                                 "the QR codes point there. Default: SERVER_NAME and PREFERRED_URL_SCHEME.")
@click.option("--locale", "locales", multiple=True, type=click.Choice(sorted(LOCALES)),
              help=f"A language to render (repeat for several). Default: {DEFAULT_LOCALE}.")
def pregenerate_command(code: str, base_url: str | None, locales: tuple[str, ...]) -> None:
    """Render and store every admission ticket of round CODE, so that release morning serves files.

    Run it after seating, and again after seating again (re-seating deletes the stored files).
    A stored file is served only while the ticket would print the same: one whose venue, name,
    language or address has changed since is rendered on request instead.
    """
    round_ = find_round(code)
    seating = None if round_ is None else logistics.written_seating(round_)
    if seating is None:
        click.echo(f"{code}: no such round, or its written exam is not seated", err=True)
        sys.exit(1)
    if base_url is None and not current_app.config.get("SERVER_NAME"):
        click.echo("give --base-url (the address candidates open), or set SERVER_NAME", err=True)
        sys.exit(1)
    for locale in locales or (DEFAULT_LOCALE,):
        done = 0
        with current_app.test_request_context("/", base_url=base_url, query_string={"lang": locale}):
            refresh()  # Flask-Babel keeps the locale on the app context, which outlives each language
            for count in pregenerate_tickets(round_, seating):
                db.session.commit()
                done += count
        click.echo(f"{code}: {done} admission tickets pre-generated in {locale}")


# ---------------------------------------------------------------- public verification


def _verify_limit() -> str:
    return str(current_app.config.get("TICKET_VERIFY_LIMIT", DEFAULT_VERIFY_LIMIT))


def _verify_refused() -> str:
    return _("Too many ticket checks from this computer. Wait a minute, then try again.")


@bp.get("/tickets/verify/<number>/<signature>")
@public
@limiter.limit(_verify_limit, error_message=_verify_refused)
def verify_ticket(number: str, signature: str) -> ResponseReturnValue:
    row = logistics.verified_ticket(number, signature)
    page = render_template("tickets/ticket_verify.html", row=row)
    return no_store(make_response(page, 200 if row is not None else 404))
