"""The words of the public notices as PDF documents (公告公示文本), in the reader's language.

At the web edge: it takes what `publicity.notices` found and words it through the catalog
(`_`), then hands `notice_pdf` a `NoticeDocument` to draw. The same fields as the HTML pages
and nothing more: never an ID number, a candidate's phone, a score, a rank or a vote count.
"""

from __future__ import annotations

from datetime import date

from flask_babel import format_date

from selection.i18n import _
from selection.models import Candidate, Round

from .labels import EDUCATION_LABELS, SEX_LABELS
from .models import Notice
from .notice_pdf import NoticeDocument, Section, Table
from .notice_rules import PublishedList
from .notices import NOTICE_KINDS, InspectionShown, PositionLists, PublicityShown, local_date

def list_titles() -> dict[PublishedList, str]:
    """The lists' names in the reader's language."""
    return {PublishedList.INTERVIEW: _("Interview list"), PublishedList.INSPECTION: _("Candidates for inspection"),
            PublishedList.ELECTED: _("Proposed appointees")}


def _day(value: date) -> str:
    return format_date(value, "long")


def _length(years_months: tuple[int, int]) -> str:
    return _("%(years)s years %(months)s months", years=years_months[0], months=years_months[1])


def _page_of() -> str:
    return _("Page %(page)s of %(pages)s")


def _signature(day: date) -> tuple[str, ...]:
    return (_("Organisation Department"), _day(day))


def publicity_paragraphs(shown: PublicityShown) -> list[str]:
    """The body of a publicity notice (任前公示), as the page and the PDF both say it."""
    n = shown.text
    assert n.start is not None and n.end is not None
    return [
        _("%(name)s, %(sex)s, born on %(birth)s (aged %(age)s), %(education)s; now %(post)s of %(unit)s since "
          "%(post_since)s (%(post_length)s), rank %(rank)s since %(rank_since)s (%(rank_length)s); proposed for "
          "the post of %(proposed)s.",
          name=n.name, sex=SEX_LABELS[n.sex], birth=_day(n.birth_date), age=n.age,  # type: ignore[index]
          education=EDUCATION_LABELS[n.education], post=n.current_post, unit=n.unit,  # type: ignore[index]
          post_since=_day(n.current_post_since), post_length=_length(n.post_length), rank=n.rank,
          rank_since=_day(n.rank_since), rank_length=_length(n.rank_length), proposed=n.proposed_post),
        _("Publicity period: from %(start)s to %(end)s.", start=_day(n.start), end=_day(n.end)),
    ]


def complaint_lines(shown: PublicityShown) -> list[str]:
    """How to report a problem during the publicity: phone, address and the online form."""
    n = shown.text
    missing = _("not given in the inspection notice")
    return [_("Phone") + ": " + (n.phone or missing),
            _("Letters and visits") + ": " + (n.address or missing)]


def publicity_document(shown: PublicityShown, online: str | None) -> NoticeDocument:
    """The publicity notice of one candidate; `online` is the complaint form's address while it runs."""
    ways = complaint_lines(shown)
    if online:
        ways.append(_("Online") + ": " + online)
    title = _("Publicity notice: %(name)s, proposed %(post)s", name=shown.text.name, post=shown.text.proposed_post)
    return NoticeDocument(
        title=_("Publicity notice before appointment"), kicker=shown.round.title, meta_title=title,
        sections=(Section(paragraphs=tuple(publicity_paragraphs(shown))),
                  Section(_("How to report a problem"),
                          (_("Anyone may report a problem about this candidate during the publicity, named or "
                             "anonymously:"), *ways)),
                  Section(paragraphs=(_("Age and times in post and rank as of %(day)s.", day=_day(shown.text.as_of)),))),
        signature=_signature(shown.published), page_of=_page_of())


def _people(candidates: list[Candidate], *, proposed: str | None = None, backfill: frozenset[str] = frozenset()) -> Table:
    columns = [_("Name"), _("Sex"), _("Unit"), _("Current post")]
    if proposed is not None:
        columns.append(_("Proposed post"))
    rows = []
    for c in candidates:
        name = c.name + (" " + _("(backfill)") if c.ref in backfill else "")
        row = [name, str(SEX_LABELS[c.sex]), c.unit, c.current_post]
        if proposed is not None:
            row.append(proposed)
        rows.append(tuple(row))
    widths = (1.2, 0.6, 2.2, 1.4, 2.0) if proposed is not None else (1.2, 0.6, 2.4, 1.6)
    return Table(tuple(columns), tuple(rows), widths)


def inspection_document(shown: InspectionShown) -> NoticeDocument:
    """The inspection notice (考察预告) of one position."""
    notice = shown.notice
    facts = [(_("Inspection period"), notice.period), (_("Purpose"), notice.purpose),
             (_("Discipline"), notice.discipline), (_("Office address"), notice.office_address),
             (_("Phone"), notice.phone)]
    return NoticeDocument(
        title=_("Inspection notice"), kicker=shown.round.title,
        sections=(Section(paragraphs=(_("The following candidates for the post of %(post)s (%(unit)s) are to be "
                                        "inspected. Anyone may tell the inspection team what they know of them.",
                                        post=shown.position.title, unit=shown.position.unit),),
                          table=_people(shown.candidates)),
                  Section(paragraphs=tuple(f"{label}: {value}" for label, value in facts if value))),
        signature=_signature(notice.published), page_of=_page_of())


def lists_document(round_: Round, lists: list[PositionLists], day: date) -> NoticeDocument:
    """Every list the round has published, position by position."""
    titles = list_titles()
    sections = []
    for entry in lists:
        for kind, candidates in entry.lists.items():
            heading = f"{entry.position.title}: {titles[kind]}"
            proposed = entry.position.title if kind is PublishedList.ELECTED else None
            sections.append(Section(heading, table=_people(candidates, proposed=proposed, backfill=entry.backfill
                                                           if kind is PublishedList.ELECTED else frozenset())))
    return NoticeDocument(title=_("Published lists"), kicker=round_.title, sections=tuple(sections),
                          signature=_signature(day), page_of=_page_of())


def notice_document(notice: Notice) -> NoticeDocument:
    """A free notice (公告) as published."""
    assert notice.published_at is not None
    return NoticeDocument(title=notice.title, kicker=notice.round.title,
                          sections=(Section(paragraphs=tuple(p for p in notice.body.split("\n\n") if p.strip())),),
                          signature=_signature(local_date(notice.published_at)), page_of=_page_of(),
                          meta_title=f"{NOTICE_KINDS.get(notice.kind, notice.kind)}: {notice.title}")
