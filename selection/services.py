"""Use cases of the selection package (选拔工作): people, users, round summaries, pipeline moves."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select, update
from sqlalchemy.sql.base import ExecutableOption
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from .audit import record_audit
from .crypto import blind_index, decrypt_field, encrypt_field
from .extensions import db
from .models import Candidate, Person, Position, Role, Round, User, new_uid
from .notify import notify_status_changes
from .passwords import hash_password
from .pipeline import Stage, Status, check_stage, check_transition, next_stage

ID_NUMBER = "id_number"
PHONE = "phone"


class UsernameTaken(ValueError):
    """Another account already has this username."""


def find_or_create_person(id_number: str, phone: str | None = None) -> Person:
    """The person with this (normalised, validated) ID number, created if new.

    A phone number given replaces the one on record. Flushes, never commits.
    """
    index = blind_index(id_number, purpose=ID_NUMBER)
    person = db.session.scalar(select(Person).where(Person.id_number_index == index))
    if person is None:
        person = Person(uid=new_uid(), id_number_index=index)
        person.id_number_cipher = encrypt_field(id_number, aad=person_aad(ID_NUMBER, person.uid))
        db.session.add(person)
    if phone is not None and person.phone_index != blind_index(phone, purpose=PHONE):
        person.phone_index = blind_index(phone, purpose=PHONE)
        person.phone_cipher = encrypt_field(phone, aad=person_aad(PHONE, person.uid))
    db.session.flush()
    return person


def reveal_id_number(person: Person) -> str:
    """The full ID number; callers audit the reveal (SECURITY.md P19)."""
    return decrypt_field(person.id_number_cipher, aad=person_aad(ID_NUMBER, person.uid))


def reveal_phone(person: Person) -> str | None:
    """The full phone number, or None; callers audit the reveal."""
    if person.phone_cipher is None:
        return None
    return decrypt_field(person.phone_cipher, aad=person_aad(PHONE, person.uid))


def person_aad(field: str, uid: str) -> str:
    """What binds a person's ciphertext to its row and field: ``persons:<field>:<uid>``."""
    return f"persons:{field}:{uid}"


def candidacies_of(user: User, *, loading: Sequence[ExecutableOption] = ()) -> list[Candidate]:
    """The registrations of the person behind `user`, newest round first; none for staff.

    Every candidate page starts here, from the signed-in user, never from an id in the URL,
    so candidate A can reach nothing of candidate B's (SECURITY.md P13). `loading` names what
    the caller reads of each registration, loaded with it rather than one query at a time.
    """
    if user.role is not Role.CANDIDATE or user.person_id is None:
        return []
    query = (select(Candidate).where(Candidate.person_id == user.person_id)
             .order_by(Candidate.round_id.desc()).options(*loading))
    return list(db.session.scalars(query).unique())  # one each, whatever collections `loading` joins


def candidacy_in(user: User, round_: Round) -> Candidate | None:
    """The signed-in candidate's registration in `round_`, or None."""
    return next((c for c in candidacies_of(user) if c.round_id == round_.id), None)


def create_user(
    username: str, *, display_name: str, password: str, role: Role, actor: str
) -> User:
    """A new account with an argon2id password hash; audited. Flushes, never commits."""
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise UsernameTaken(username)
    user = User(
        username=username, display_name=display_name, password_hash=hash_password(password),
        role=role,
    )
    db.session.add(user)
    db.session.flush()
    record_audit(
        "user.create", actor=actor, subject=f"user:{user.id}",
        after={"username": username, "role": role},
    )
    return user


def load_session_user(session_id: str) -> User | None:
    """The user a session names as ``"<id>:<session_version>"``, if still valid."""
    user_id, _, version = session_id.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


@dataclass(frozen=True)
class PositionSummary:
    code: str
    title: str
    unit: str
    posts: int
    stage: Stage
    registered: int
    #: candidates whose status is live (still in the selection)
    still_in: int
    eliminated: int


@dataclass(frozen=True)
class RoundSummary:
    code: str
    title: str
    cutoff_date: date
    positions: tuple[PositionSummary, ...]
    #: whether its call for applications is published (it then has a public page)
    published: bool = False


def summarize_rounds() -> list[RoundSummary]:
    """Every round, newest cut-off first, with its positions' stages and head counts."""
    counts: Counter[tuple[int, bool]] = Counter()
    rows = db.session.execute(
        select(Candidate.position_id, Candidate.status, func.count())
        .group_by(Candidate.position_id, Candidate.status)
    )
    for position_id, status, number in rows:
        counts[position_id, Status(status).is_live] += number
    positions: dict[int, list[PositionSummary]] = {}
    for position in db.session.scalars(
        select(Position).order_by(Position.round_id, Position.ordinal, Position.code)
    ):
        still_in, eliminated = counts[position.id, True], counts[position.id, False]
        positions.setdefault(position.round_id, []).append(PositionSummary(
            code=position.code, title=position.title, unit=position.unit,
            posts=position.posts, stage=position.stage,
            registered=still_in + eliminated, still_in=still_in, eliminated=eliminated,
        ))
    return [
        RoundSummary(
            code=round_.code, title=round_.title, cutoff_date=round_.cutoff_date,
            positions=tuple(positions.get(round_.id, ())), published=round_.published_at is not None,
        )
        for round_ in db.session.scalars(
            select(Round).order_by(Round.cutoff_date.desc(), Round.code)
        )
    ]


# --- the pipeline (RULES.md §12–13): every move checked against pipeline.py, every move audited


def _position_subject(position: Position) -> str:
    return f"position:{position.round.code}/{position.code}"


def require_stage(position: Position, stage: Stage) -> None:
    """Refuse work of `stage` unless it is the position's open stage.

    Raises StageNotReached, whose message names the step that must close first, or
    StageClosed when that stage's figures are already final.
    """
    check_stage(position.stage, stage)


def close_stage(position: Position, stage: Stage, *, actor: str) -> Stage:
    """Close the position's open `stage` and open the next one; audited. Flushes, never commits."""
    require_stage(position, stage)
    opened = next_stage(stage)
    record_audit(
        "position.stage", actor=actor, subject=_position_subject(position), round_id=position.round_id,
        before={"stage": stage.value}, after={"stage": opened.value},
    )
    position.stage = opened
    db.session.flush()
    return opened


def move_candidate(candidate: Candidate, target: Status, *, actor: str, reason: str | None = None) -> None:
    """Move a candidate to `target` if the pipeline allows it (TransitionNotAllowed if not); audited."""
    check_transition(candidate.status, target)
    record_audit(
        "candidate.status", actor=actor, subject=f"candidate:{candidate.round.code}/{candidate.ref}",
        round_id=candidate.round_id, before={"status": candidate.status.value},
        after={"status": target.value, "reason": reason},
    )
    before = candidate.status
    candidate.status = target
    notify_status_changes(candidate.round, [(candidate, before)])
    db.session.flush()


# --- concurrent editing (SECURITY.md P50a): a form carries the version it showed


class StaleEdit(Exception):
    """The row changed since the form was shown: modified by someone else."""


#: the versions a row can have (an INTEGER column, and room to add one): any other number
#: posted back was never shown by a form, and must not reach the database, which refuses it
VERSIONS = range(0, 2**31 - 1)


def claim_version(obj: Candidate | Round, seen_version: int) -> None:
    """Compare-and-swap the row's version: succeed only if it is still `seen_version`.

    One conditional UPDATE, so two concurrent saves of the same form cannot both pass,
    on PostgreSQL and SQLite alike. Call it before changing anything the form covers.
    """
    model = type(obj)
    if seen_version not in VERSIONS:
        raise StaleEdit(f"{model.__tablename__} {obj.id} never had version {seen_version}")
    claimed = db.session.execute(
        update(model).where(model.id == obj.id, model.version_id == seen_version)
        .values(version_id=seen_version + 1)
        # only the version moves: the round's data, and so its cached state, are unchanged
        .execution_options(synchronize_session=False, record_unchanged=True)
    )
    if claimed.rowcount != 1:
        raise StaleEdit(f"{model.__tablename__} {obj.id} was modified by someone else")
    set_committed_value(obj, "version_id", seen_version + 1)


#: ids per statement when `claim_versions` claims many rows
_CLAIM_BATCH = 1000


def claim_versions(seen: Mapping[int, Sequence[int]]) -> None:
    """`claim_version` for many candidates at once: `seen` maps a version to the ids shown at it.

    One conditional UPDATE per version and batch of ids (a sheet's candidates mostly share a
    few versions), so storing a 100,000-row sheet claims in a few hundred statements; all are
    claimed or StaleEdit is raised (the caller's rollback undoes the ones already claimed).
    Candidates loaded in the session get their new version, as `claim_version` gives them.
    """
    for version, ids in seen.items():
        if version not in VERSIONS:
            raise StaleEdit(f"candidates {ids[0]} never had version {version}")
        for start in range(0, len(ids), _CLAIM_BATCH):
            batch = ids[start:start + _CLAIM_BATCH]
            claimed = db.session.execute(
                update(Candidate).where(Candidate.id.in_(batch), Candidate.version_id == version)
                .values(version_id=version + 1)
                # only the versions move: the round's data, and so its cached state, are unchanged
                .execution_options(synchronize_session=False, record_unchanged=True))
            if claimed.rowcount != len(batch):
                raise StaleEdit(f"candidates: {len(batch) - claimed.rowcount} of {len(batch)} shown at version "
                                f"{version} were modified by someone else")
            for candidate_id in batch:
                loaded = db.session.identity_map.get(identity_key(Candidate, candidate_id))
                if loaded is not None:
                    set_committed_value(loaded, "version_id", version + 1)
