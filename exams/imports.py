"""Spreadsheet imports of the exams package (导入): the registration list, written and interview scores.

Score imports come in two steps: `preview_written_import` / `preview_interview_import`
are pure (bytes and plain values in, every row and every problem out, nothing stored);
`import_written_scores` / `import_interview_scores` store a clean file in the caller's
one transaction, or refuse it whole. The registration list (报名) imports the same way:
`preview_registration_import` checks each row as a round record's registration is
checked, `import_registrations` stores a clean sheet. Like the services, imports flush,
never commit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from exams.models import ExamKind
from exams.rules import N_, EntryError, ExamsError, InterviewEntry, WrittenEntry, interview_entry, written_entry
from exams.services import (
    Target, candidate_subject, interview_targets, settings_of, store_entries, written_targets,
)
from selection.audit import record_audit
from selection.crypto import blind_index
from selection.extensions import db
from selection.models import Candidate, Education, Person, Position, Round, Sex, User
from selection.pipeline import STAGE_ORDER, Stage, Status
from selection.record.model import Candidate as RecordCandidate
from selection.record.model import Endorsement as RecordEndorsement
from selection.record.parse import check_registration
from selection.record.services import refresh_statuses
from selection.record.store import insert_candidates, insert_endorsements, store_persons
from selection.services import ID_NUMBER, PHONE, StaleEdit, claim_version, require_stage
from selection.spreadsheets import (
    CellError, Column, Problem, SheetRows, choice_cell, date_cell, read_xlsx, score_cell, text_cell,
)

#: An uploaded score sheet is a few hundred rows; the cap keeps the signed copy the preview
#: carries to the confirm step well inside a form field (Flask's MAX_FORM_MEMORY_SIZE).
#: A caller that keeps the file otherwise may pass a larger `max_bytes` to the score
#: imports, up to the reader's own limits (selection.spreadsheets.MAX_BYTES, MAX_ROWS).
IMPORT_MAX_BYTES = 256 * 1024


class ImportRefused(ExamsError):
    """A score sheet with problems: nothing of it was stored. `preview` lists every row and problem."""

    def __init__(self, preview: ImportPreview) -> None:
        super().__init__("; ".join(str(problem) for problem in preview.problems))
        self.preview = preview


# --- importing score sheets ----------------------------------------------------------------


@dataclass(frozen=True)
class SheetHeaders:
    """The header texts of a score sheet; each column also accepts its other-language spelling."""

    ref: Sequence[str]
    name: Sequence[str]
    absent: Sequence[str]
    #: one entry per paper (the paper's own name) or per examiner (考官1, examiner 1, …)
    scores: Sequence[Sequence[str]]


#: what the absent column accepts (缺考)
ABSENT_CHOICES: Mapping[str, bool] = {
    "是": True, "缺考": True, "yes": True, "y": True, "true": True, "1": True, "✓": True,
    "否": False, "no": False, "n": False, "false": False, "0": False,
}


def sheet_columns(headers: SheetHeaders) -> list[Column]:
    """The columns read_xlsx looks for: ref and name required, one per score, absent."""
    columns: list[Column] = []

    def add(names: Sequence[str], key: str, parse: object, required: bool = False) -> None:
        # every spelling is a column of the same key: whichever the sheet has is read
        columns.extend(Column(name, key, parse, required=required and index == 0)  # type: ignore[arg-type]
                       for index, name in enumerate(dict.fromkeys(names)))

    add(headers.ref, "ref", text_cell, required=True)
    add(headers.name, "name", text_cell, required=True)
    for index, names in enumerate(headers.scores):
        add(names, f"score{index}", score_cell)
    add(headers.absent, "absent", choice_cell(ABSENT_CHOICES))
    return columns


@dataclass(frozen=True, slots=True)
class PreviewRow:
    """A row of the sheet that can be stored, with what is stored now and whether it changes."""

    number: int
    ref: str
    name: str
    entry: WrittenEntry | InterviewEntry
    before: WrittenEntry | InterviewEntry | None

    @property
    def changes(self) -> bool:
        return self.entry != self.before


@dataclass(frozen=True)
class ImportPreview:
    """What a score sheet would store: its good rows and every problem; nothing is stored."""

    rows: list[PreviewRow]
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def changed(self) -> list[PreviewRow]:
        return [row for row in self.rows if row.changes]


#: A row's typed scores and absent mark → its entry (never None: an empty row is refused).
RowParser = Callable[[Sequence[object], bool], "WrittenEntry | InterviewEntry"]


def preview_written_import(data: bytes, *, headers: SheetHeaders, papers: Sequence[str],
                           targets: Mapping[str, Target], max_bytes: int = IMPORT_MAX_BYTES) -> ImportPreview:
    """Check a written-scores sheet row by row against the candidates at the stage (pure).

    `headers.scores` holds one column per paper, in the order of `papers`.
    """
    def parse(typed: Sequence[object], absent: bool) -> WrittenEntry:
        entry = written_entry(dict(zip(papers, typed)), absent, papers)
        if entry is None:
            raise EntryError(N_("The score of paper %(paper)s is missing."), papers[0], paper=papers[0])
        return entry

    return _preview(data, headers, targets, parse, column_of=papers.index, max_bytes=max_bytes)


def preview_interview_import(data: bytes, *, headers: SheetHeaders, min_examiners: int,
                             targets: Mapping[str, Target], max_bytes: int = IMPORT_MAX_BYTES) -> ImportPreview:
    """Check an interview sheet (one column per examiner) row by row against the interview list (pure)."""
    def parse(typed: Sequence[object], absent: bool) -> InterviewEntry:
        entry = interview_entry(typed, absent, min_examiners=min_examiners)
        if entry is None:
            raise EntryError(N_("%(count)s examiners scored; at least %(minimum)s are required."),
                             count=0, minimum=min_examiners)
        return entry

    return _preview(data, headers, targets, parse, column_of=lambda examiner: int(examiner) - 1,
                    max_bytes=max_bytes)


def _preview(data: bytes, headers: SheetHeaders, targets: Mapping[str, Target], parse: RowParser,
             *, column_of: Callable[[str], int], max_bytes: int) -> ImportPreview:
    too_large = _too_large(data, max_bytes)
    if too_large is not None:
        return ImportPreview([], [too_large])
    columns = sheet_columns(headers)
    # streamed: each row is checked as it is read, and only its PreviewRow (the ref, name and
    # entry the preview shows and the import stores) and its ref's row number are kept
    read = SheetRows(data, headers=columns)
    problems: list[Problem] = []
    rows: list[PreviewRow] = []
    seen: dict[str, int] = {}
    score_names = [names[0] for names in headers.scores]
    for row in read:
        ref, name = str(row.values["ref"]).upper(), str(row.values["name"])
        where = (row.number, headers.ref[0])
        if ref in seen:
            problems.append(Problem(*where, N_("%(ref)s appears again; it is on row %(row)s already."),
                                    {"ref": ref, "row": str(seen[ref])}))
            continue
        seen[ref] = row.number
        target = targets.get(ref)
        if target is None:
            problems.append(Problem(*where, N_("%(ref)s is unknown or not at this stage."), {"ref": ref}))
            continue
        if name != target.name:
            problems.append(Problem(row.number, headers.name[0], N_("%(name)s is not the name of %(ref)s."),
                                    {"name": name, "ref": ref}))
            continue
        typed = [row.values.get(f"score{index}") for index in range(len(headers.scores))]
        try:
            entry = parse(typed, bool(row.values.get("absent")))
        except EntryError as error:
            column = None if error.field is None else score_names[column_of(error.field)]
            problems.append(Problem(row.number, column, error.message, error.params))
            continue
        rows.append(PreviewRow(row.number, ref, name, entry, target.current))
    if read.refused:
        return ImportPreview([], _one_per_cell(read.problems, columns))
    # a row has either cell problems (the reader's, then it is not yielded) or its own (here)
    problems = _one_per_cell(read.problems, columns) + problems
    problems.sort(key=lambda p: (p.row is not None, p.row or 0))
    return ImportPreview(rows, problems)


def _one_per_cell(problems: Sequence[Problem], columns: Sequence[Column]) -> list[Problem]:
    """read_xlsx reports a bad cell once per spelling of its column; keep the first."""
    key_of = {column.name: column.key for column in columns}
    kept: dict[tuple[object, ...], Problem] = {}
    for problem in problems:
        marker = (problem.row, key_of.get(problem.column or "", problem.column), problem.message,
                  tuple(sorted(problem.params.items())))
        kept.setdefault(marker, problem)
    return list(kept.values())


def import_written_scores(position: Position, data: bytes, *, headers: SheetHeaders, versions: Mapping[str, int],
                          actor: User, today: date, max_bytes: int = IMPORT_MAX_BYTES) -> ImportPreview:
    """Store a clean written-scores sheet, all rows or none (ImportRefused); unchanged rows store nothing.

    `versions` are the candidates' versions the preview was made against: a candidate
    changed since then makes the import stale (StaleEdit).
    """
    require_stage(position, Stage.WRITTEN)
    targets = written_targets(position, today=today)
    preview = preview_written_import(data, headers=headers, papers=tuple(settings_of(position.round).written_papers),
                                     targets=targets, max_bytes=max_bytes)
    return _import(position, ExamKind.WRITTEN, preview, targets, versions, actor=actor, today=today)


def import_interview_scores(position: Position, data: bytes, *, headers: SheetHeaders, versions: Mapping[str, int],
                            actor: User, today: date, max_bytes: int = IMPORT_MAX_BYTES) -> ImportPreview:
    """Store a clean interview sheet, all rows or none; like `import_written_scores`."""
    require_stage(position, Stage.INTERVIEW)
    targets = interview_targets(position, today=today)
    preview = preview_interview_import(data, headers=headers,
                                       min_examiners=settings_of(position.round).interview_min_examiners,
                                       targets=targets, max_bytes=max_bytes)
    return _import(position, ExamKind.INTERVIEW, preview, targets, versions, actor=actor, today=today)


def _import(position: Position, kind: ExamKind, preview: ImportPreview, targets: Mapping[str, Target],
            versions: Mapping[str, int], *, actor: User, today: date) -> ImportPreview:
    if not preview.ok:
        raise ImportRefused(preview)
    store_entries(position, kind, {row.ref: row.entry for row in preview.rows}, targets, versions, actor=actor)
    refresh_statuses(position.round, actor=actor.username, today=today)
    return preview


# --- importing the registration list (报名) --------------------------------------------------

#: the columns of a registration sheet, in the template's order: key, required
REGISTRATION_COLUMNS: tuple[tuple[str, bool], ...] = (
    ("ref", True), ("position", True), ("name", True), ("sex", True), ("birth_date", True),
    ("id_number", True), ("phone", False), ("education", True), ("unit", True), ("current_post", True),
    ("current_post_since", True), ("rank", True), ("rank_since", True),
    ("endorsement_unit", False), ("endorsement_date", False), ("endorsement_document", False),
)
ENDORSEMENT_COLUMNS = ("endorsement_unit", "endorsement_date", "endorsement_document")
#: what the sex column accepts (性别)
SEX_CHOICES: Mapping[str, str] = {"男": "male", "女": "female", "male": "male", "female": "female"}
#: what the education column accepts (学历): the Chinese words or the codes of RULES.md §3
EDUCATION_CHOICES: Mapping[str, str] = {
    "高中": "high_school", "专科": "associate", "本科": "bachelor", "硕士": "master", "博士": "doctor",
    **{code: code for code in ("high_school", "associate", "bachelor", "master", "doctor")},
}
#: the fields a re-import compares with the registration on record, in the order shown
REGISTRATION_FIELDS = ("position", "name", "sex", "birth_date", "education", "unit", "current_post",
                       "current_post_since", "rank", "rank_since")
#: the longest text each column's database field holds
_TEXT_LIMITS = {"ref": 20, "position": 40, "name": 100, "unit": 200, "current_post": 200, "rank": 100,
                "endorsement_unit": 200, "endorsement_document": 200}
_DATE_COLUMNS = frozenset({"birth_date", "current_post_since", "rank_since", "endorsement_date"})
#: where a registration check (selection.record.parse) places a problem → the sheet's column
_COLUMN_OF_FIELD = {"endorsement.unit": "endorsement_unit", "endorsement.date": "endorsement_date",
                    "endorsement.document": "endorsement_document"}


def _limited_text(limit: int) -> Callable[[object], str]:
    def parse(raw: object) -> str:
        text = text_cell(raw)
        if len(text) > limit:
            raise CellError(N_("%(value)s is longer than %(limit)s characters."), value=text, limit=limit)
        return text
    return parse


def registration_columns(headers: Mapping[str, Sequence[str]]) -> list[Column]:
    """The columns read_xlsx looks for; `headers` gives each key's spellings, the one shown first."""
    columns: list[Column] = []
    for key, required in REGISTRATION_COLUMNS:
        if key in _DATE_COLUMNS:
            parse: Callable[[object], object] = date_cell
        elif key == "sex":
            parse = choice_cell(SEX_CHOICES)
        elif key == "education":
            parse = choice_cell(EDUCATION_CHOICES)
        elif key in _TEXT_LIMITS:
            parse = _limited_text(_TEXT_LIMITS[key])
        else:
            parse = text_cell
        # every spelling is a column of the same key: whichever the sheet has is read
        columns.extend(Column(name, key, parse, required=required and index == 0)
                       for index, name in enumerate(dict.fromkeys(headers[key])))
    return columns


@dataclass(frozen=True)
class StoredRegistration:
    """A registration on record as an import compares it; the person's numbers only as blind indexes."""

    ref: str
    version: int
    person_key: str
    phone_key: str | None
    #: REGISTRATION_FIELDS → value, as a round record holds them (codes, dates)
    fields: Mapping[str, object]
    endorsement: RecordEndorsement | None


@dataclass(frozen=True)
class RegistrationRow:
    """A row of the sheet that can be stored: the registration, what is on record, what changes."""

    number: int
    registration: RecordCandidate
    stored: StoredRegistration | None
    #: the fields that change (REGISTRATION_FIELDS, "phone", "endorsement"); empty for a new one
    changes: tuple[str, ...] = ()

    @property
    def ref(self) -> str:
        return self.registration.ref

    @property
    def is_new(self) -> bool:
        return self.stored is None

    @property
    def stores_anything(self) -> bool:
        return self.is_new or bool(self.changes)


@dataclass(frozen=True)
class RegistrationPreview:
    """What a registration sheet would store: every good row and every problem; nothing is stored."""

    rows: list[RegistrationRow]
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def new(self) -> list[RegistrationRow]:
        return [row for row in self.rows if row.is_new]

    @property
    def changed(self) -> list[RegistrationRow]:
        return [row for row in self.rows if not row.is_new and row.changes]

    @property
    def unchanged(self) -> list[RegistrationRow]:
        return [row for row in self.rows if not row.stores_anything]


class RegistrationImportRefused(ExamsError):
    """A registration sheet with problems: nothing of it was stored. `preview` lists every row and problem."""

    def __init__(self, preview: RegistrationPreview) -> None:
        super().__init__("; ".join(str(problem) for problem in preview.problems))
        self.preview = preview


def _record_shape(values: Mapping[str, object]) -> dict[str, object]:
    """A sheet row as a round record's `candidates[]` entry, for `check_registration`."""
    def text(value: object) -> object:
        return value.isoformat() if isinstance(value, date) else value

    raw = {key: text(values.get(key)) for key, _required in REGISTRATION_COLUMNS
           if key not in ENDORSEMENT_COLUMNS and values.get(key) is not None}
    if all(values.get(key) is not None for key in ENDORSEMENT_COLUMNS):
        raw["endorsement"] = {"unit": values["endorsement_unit"], "date": text(values["endorsement_date"]),
                              "document": values["endorsement_document"]}
    return raw


def preview_registration_import(data: bytes, *, headers: Mapping[str, Sequence[str]], stages: Mapping[str, Stage],
                                stored: Mapping[str, StoredRegistration], id_key: Callable[[str], str],
                                phone_key: Callable[[str], str]) -> RegistrationPreview:
    """Check a registration sheet row by row against the round (pure: the keys come in as functions).

    Each row is checked as a round record's registration is (`check_registration`: the
    position, every field, the ID number against GB 11643 and the stated birth date and sex,
    the phone, the endorsement), then against the other rows and the round: one row per ref
    and per person, the person not registered under another ref, the position (and, for a
    change, the one on record) still at registration (RULES.md §3). `stages` are the round's
    positions' stages by code; `stored` its registrations by ref; `id_key` / `phone_key` the
    blind indexes of an ID or phone number.
    """
    too_large = _too_large(data)
    if too_large is not None:
        return RegistrationPreview([], [too_large])
    columns = registration_columns(headers)
    read = read_xlsx(data, headers=columns)
    problems = _one_per_cell(read.problems, columns)
    shown = {key: headers[key][0] for key, _required in REGISTRATION_COLUMNS}
    registered = {s.person_key: s.ref for s in stored.values()}
    seen_refs: dict[str, int] = {}
    seen_people: dict[str, int] = {}
    rows: list[RegistrationRow] = []

    def refuse(number: int, key: str | None, message: str, **params: object) -> None:
        problems.append(Problem(number, None if key is None else shown[key], message,
                                {name: str(value) for name, value in params.items()}))

    for row in read.rows:
        values = {**row.values, "ref": str(row.values["ref"]).upper()}
        ref = values["ref"]
        if ref in seen_refs:
            refuse(row.number, "ref", N_("%(ref)s appears again; it is on row %(row)s already."), ref=ref,
                   row=seen_refs[ref])
            continue
        seen_refs[ref] = row.number
        given = [key for key in ENDORSEMENT_COLUMNS if values.get(key) is not None]
        if given and len(given) < len(ENDORSEMENT_COLUMNS):
            refuse(row.number, None,
                   N_("The endorsement needs its unit, date and document number together, or none of them."))
            continue
        registration, located = check_registration(_record_shape(values), positions=stages)
        for field_problem in located:
            key = _COLUMN_OF_FIELD.get(field_problem.where, field_problem.where)
            problems.append(Problem(row.number, shown.get(key), field_problem.message, field_problem.params))
        if registration is None:
            continue
        if registration.id_number in seen_people:
            refuse(row.number, "id_number", N_("The same person (ID number) is on row %(row)s already."),
                   row=seen_people[registration.id_number])
            continue
        seen_people[registration.id_number] = row.number
        person, on_record = id_key(registration.id_number), stored.get(ref)
        if on_record is None and person in registered:
            refuse(row.number, "id_number",
                   N_("This person (ID number) is registered in this round already, as %(ref)s."),
                   ref=registered[person])
            continue
        if on_record is not None and on_record.person_key != person:
            refuse(row.number, "id_number", N_("%(ref)s is registered already with another ID number."), ref=ref)
            continue
        changes = () if on_record is None else _changes(registration, on_record, phone_key)
        if on_record is None or changes:
            # only a row that stores something needs its registration open: one equal to what is
            # stored may stay in the sheet after its position has moved on
            involved = {registration.position} | ({str(on_record.fields["position"])} if on_record else set())
            closed = sorted(code for code in involved if stages.get(code) is not Stage.REGISTRATION)
            if closed:
                refuse(row.number, "position", N_("The registration of position %(position)s has closed."),
                       position=closed[0])
                continue
        rows.append(RegistrationRow(row.number, registration, on_record, changes))
    problems.sort(key=lambda p: (p.row is not None, p.row or 0))
    return RegistrationPreview(rows, problems)


def _changes(registration: RecordCandidate, stored: StoredRegistration,
             phone_key: Callable[[str], str]) -> tuple[str, ...]:
    """The fields the sheet changes; a phone or an endorsement left blank keeps the one on record."""
    changes = [name for name in REGISTRATION_FIELDS if getattr(registration, name) != stored.fields[name]]
    if registration.phone is not None and phone_key(registration.phone) != stored.phone_key:
        changes.append("phone")
    if registration.endorsement is not None and registration.endorsement != stored.endorsement:
        changes.append("endorsement")
    return tuple(changes)


def _too_large(data: bytes, max_bytes: int = IMPORT_MAX_BYTES) -> Problem | None:
    if len(data) > max_bytes:
        return Problem(None, None, N_("The file is larger than %(limit)s KB."),
                       {"limit": str(max_bytes // 1024)})
    return None


def require_registration_open(round_: Round) -> None:
    """Refuse a registration import unless some position of the round is still at registration (报名).

    Raises StageClosed naming registration, or NoPositions.
    """
    stages = [position.stage for position in round_.positions]
    if not stages:
        raise NoPositions(round_.code)
    if Stage.REGISTRATION not in stages:
        require_stage(max(round_.positions, key=lambda p: STAGE_ORDER.index(p.stage)), Stage.REGISTRATION)


class NoPositions(ExamsError):
    """Registrations need the round's positions first."""

    def __str__(self) -> str:
        return f"round {self.args[0]} has no position yet"


def stored_registrations(round_: Round) -> dict[str, StoredRegistration]:
    """The round's registrations by ref, as an import compares them."""
    rows = db.session.execute(select(Candidate, Person, Position.code)
                              .join(Person, Candidate.person_id == Person.id)
                              .join(Position, Candidate.position_id == Position.id)
                              .where(Candidate.round_id == round_.id)
                              .options(selectinload(getattr(Candidate, "endorsement")))).all()
    stored = {}
    for candidate, person, position in rows:
        endorsement = candidate.endorsement  # type: ignore[attr-defined]
        fields = {name: getattr(candidate, name) for name in REGISTRATION_FIELDS if name != "position"}
        fields.update(position=position, sex=str(candidate.sex), education=str(candidate.education))
        stored[candidate.ref] = StoredRegistration(
            candidate.ref, candidate.version_id, person.id_number_index, person.phone_index, fields,
            None if endorsement is None else RecordEndorsement(endorsement.unit, endorsement.date,
                                                               endorsement.document))
    return stored


def preview_registrations(round_: Round, data: bytes, *,
                          headers: Mapping[str, Sequence[str]]) -> RegistrationPreview:
    """`preview_registration_import` against the round as stored now; nothing is stored."""
    return preview_registration_import(
        data, headers=headers, stages={p.code: p.stage for p in round_.positions},
        stored=stored_registrations(round_), id_key=lambda number: blind_index(number, purpose=ID_NUMBER),
        phone_key=lambda number: blind_index(number, purpose=PHONE))


def import_registrations(round_: Round, data: bytes, *, headers: Mapping[str, Sequence[str]],
                         versions: Mapping[str, int | None], actor: User, today: date) -> RegistrationPreview:
    """Store a clean registration sheet, all rows or none (RegistrationImportRefused); audited.

    New refs become registrations (persons found or created by the blind index of their
    ID number, which is stored only encrypted, like the phone); changed ones are updated;
    rows equal to what is stored store and audit nothing. `versions` are the refs' versions
    the preview was made against (None: new then): any difference makes the import stale
    (StaleEdit). One audit row for the import, with counts, and one per changed registration.
    """
    require_registration_open(round_)
    preview = preview_registrations(round_, data, headers=headers)
    if not preview.ok:
        raise RegistrationImportRefused(preview)
    for row in preview.rows:
        if row.ref not in versions or versions[row.ref] != (None if row.stored is None else row.stored.version):
            raise StaleEdit(f"registration {round_.code}/{row.ref} changed since the preview")
    new, changed = preview.new, preview.changed
    if not new and not changed:
        return preview
    position_ids = {p.code: p.id for p in round_.positions}
    person_ids = store_persons([row.registration for row in new + changed])
    first = max((c.ordinal for c in round_.candidates), default=-1) + 1
    ids = insert_candidates(round_, [row.registration for row in new], position_ids=position_ids,
                            person_ids=person_ids, statuses={row.ref: Status.REGISTERED for row in new},
                            first_ordinal=first)
    endorsements = {ids[row.ref]: row.registration.endorsement for row in new if row.registration.endorsement}
    on_record = {c.ref: c for c in round_.candidates}
    for row in changed:
        candidate = on_record[row.ref]
        claim_version(candidate, row.stored.version)  # type: ignore[union-attr]
        before, after = _update_registration(candidate, row, position_ids)
        if row.registration.endorsement is not None and candidate.endorsement is None:  # type: ignore[attr-defined]
            endorsements[candidate.id] = row.registration.endorsement
        record_audit("candidate.registration", actor=actor.username, subject=candidate_subject(candidate),
                     round_id=round_.id, before=before, after=after)
    insert_endorsements(endorsements)
    record_audit("round.registrations_import", actor=actor.username, subject=f"round:{round_.code}",
                 round_id=round_.id, after={"new": len(new), "changed": len(changed),
                                            "unchanged": len(preview.unchanged)})
    db.session.flush()
    db.session.expire(round_, ["candidates"])
    refresh_statuses(round_, actor=actor.username, today=today)
    return preview


def _update_registration(candidate: Candidate, row: RegistrationRow,
                         position_ids: Mapping[str, int]) -> tuple[dict[str, object], dict[str, object]]:
    """Write the row's changes on the candidate; the audit's before → after (a phone only as changed)."""
    assert row.stored is not None
    registration, before, after = row.registration, {}, {}
    for name in row.changes:
        if name == "phone":
            after["phone"] = "changed"  # the number itself is never audited
        elif name == "endorsement":
            old, new = row.stored.endorsement, registration.endorsement
            assert new is not None
            before["endorsement"] = None if old is None else _endorsement_shown(old)
            after["endorsement"] = _endorsement_shown(new)
            if candidate.endorsement is not None:  # type: ignore[attr-defined]
                candidate.endorsement.unit = new.unit  # type: ignore[attr-defined]
                candidate.endorsement.date = new.date  # type: ignore[attr-defined]
                candidate.endorsement.document = new.document  # type: ignore[attr-defined]
        else:
            old_value, new_value = row.stored.fields[name], getattr(registration, name)
            before[name], after[name] = _plain(old_value), _plain(new_value)
            if name == "position":
                candidate.position_id = position_ids[str(new_value)]
            elif name == "sex":
                candidate.sex = Sex(new_value)
            elif name == "education":
                candidate.education = Education(new_value)
            else:
                setattr(candidate, name, new_value)
    return before, after


def _endorsement_shown(endorsement: RecordEndorsement) -> dict[str, str]:
    return {"unit": endorsement.unit, "date": endorsement.date.isoformat(), "document": endorsement.document}


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, date) else value
