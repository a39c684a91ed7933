"""Online secret ballots at a unit (网上无记名投票): tokens, receipts, valid ballots, counts and the closing hash.

Pure: no Flask, no database, no clock. The unit's recommendation vote (公开推荐, RULES.md §4) takes
yes / no / abstain for each candidate; the evaluation (民主测评, RULES.md §6) one of the twelve
values, and so does an appointee's evaluation during probation (试用期民主测评, RULES.md §11), which
is counted apart from the round's scores. Randomness comes in as bytes, so every function here is
deterministic.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from vetting.rules import BALLOT_VALUES, InvalidBallotValue, VettingError, check_ballot_value

#: Crockford's base32: no I, L, O or U, so nothing printed can be misread (0/O, 1/I/L).
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#: what a voter may type for a letter the alphabet leaves out
_MISREAD = {"O": "0", "I": "1", "L": "1"}
#: a token is 20 characters: 100 bits, printed in groups of five (K7Q2M-…)
TOKEN_LENGTH = 20
#: a receipt is 16 characters: 80 bits, enough that a guessed receipt is never in a published list
RECEIPT_LENGTH = 16
GROUP = 5
#: the largest batch of tokens printed at once
MAX_TOKENS = 2000

RECOMMENDATION = "recommendation"
EVALUATION = "evaluation"
#: an appointee's evaluation during probation (试用期民主测评): the evaluation's ballot, counted apart
PROBATION = "probation"
#: the answers of a recommendation ballot, in the order the page and the counts show them
RECOMMENDATION_CHOICES: tuple[str, ...] = ("yes", "no", "abstain")
#: the twelve evaluation values, highest first
EVALUATION_CHOICES: tuple[int, ...] = tuple(sorted(BALLOT_VALUES, reverse=True))


class BallotError(VettingError):
    """A ballot or a token that the rules refuse."""


class InvalidBallot(BallotError):
    """A ballot whose choices are not exactly one allowed answer per candidate of the box."""

    def __init__(self, reason: str, ref: str | None = None) -> None:
        super().__init__(f"{reason}: {ref}" if ref else reason)
        self.reason = reason
        self.ref = ref


class MalformedToken(BallotError):
    """Typed text that cannot be a token (wrong length or a character outside the alphabet)."""


# reasons of InvalidBallot
MISSING = "missing"
UNKNOWN = "unknown"
NOT_ALLOWED = "not_allowed"


def encode(data: bytes, length: int) -> str:
    """`length` characters of the alphabet from random `data` (5 bits each; at least length × 5 bits)."""
    if len(data) * 8 < length * 5:
        raise ValueError("not enough random bytes")
    number = int.from_bytes(data, "big")
    return "".join(ALPHABET[(number >> (5 * i)) & 31] for i in range(length))


def new_token(data: bytes) -> str:
    """A voting token from 13 random bytes (100 bits used)."""
    return encode(data, TOKEN_LENGTH)


def new_receipt(data: bytes) -> str:
    """A receipt code from 10 random bytes (80 bits)."""
    return encode(data, RECEIPT_LENGTH)


def grouped(code: str) -> str:
    """A token or receipt as printed: groups of five joined by dashes (K7Q2M-9XW4P-…), or of four
    when five do not divide it (a 16-character receipt reads 8GYA-4024-N642-VVGB, no stray last group)."""
    size = GROUP if len(code) % GROUP == 0 else 4
    return "-".join(code[i:i + size] for i in range(0, len(code), size))


def parse_token(typed: str) -> str:
    """The token a voter typed or scanned, tolerant of spaces, dashes, case and O/I/L; or MalformedToken."""
    text = "".join(ch for ch in (typed or "").upper() if not ch.isspace() and ch not in "-–—_")
    text = "".join(_MISREAD.get(ch, ch) for ch in text)
    if len(text) != TOKEN_LENGTH or any(ch not in ALPHABET for ch in text):
        raise MalformedToken("not a token")
    return text


def allowed_choices(kind: str) -> tuple[Any, ...]:
    """The answers a ballot of `kind` offers for each candidate."""
    if kind == RECOMMENDATION:
        return RECOMMENDATION_CHOICES
    if kind in (EVALUATION, PROBATION):
        return EVALUATION_CHOICES
    raise BallotError(f"unknown ballot kind {kind!r}")


def check_ballot(kind: str, refs: Sequence[str], choices: Mapping[str, object]) -> dict[str, Any]:
    """The ballot in canonical form (ref → "yes" or ref → 95), or InvalidBallot.

    Every candidate of the box gets exactly one allowed answer, and nothing else is on the ballot:
    for a recommendation one of yes / no / abstain, for an evaluation (or a probation ballot) one of the
    twelve values of RULES.md §6 (the same check as a paper ballot entered by hand,
    `vetting.rules.check_ballot_value`).
    """
    allowed_choices(kind)
    unknown = sorted(set(choices) - set(refs))
    if unknown:
        raise InvalidBallot(UNKNOWN, unknown[0])
    ballot: dict[str, Any] = {}
    for ref in sorted(refs):
        value = choices.get(ref)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise InvalidBallot(MISSING, ref)
        if kind == RECOMMENDATION:
            if value not in RECOMMENDATION_CHOICES:
                raise InvalidBallot(NOT_ALLOWED, ref)
            ballot[ref] = value
        else:
            try:
                ballot[ref] = check_ballot_value(value)
            except InvalidBallotValue:
                raise InvalidBallot(NOT_ALLOWED, ref) from None
    return ballot


def canonical_json(value: object) -> str:
    """One spelling of a JSON value: sorted keys, no spaces, UTF-8 text kept."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def count_ballots(kind: str, refs: Sequence[str], ballots: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, int]]:
    """The counts of valid ballots: ref → answer (as text) → count, every answer listed, zeros included."""
    counts = {ref: {str(choice): 0 for choice in allowed_choices(kind)} for ref in sorted(refs)}
    for ballot in ballots:
        for ref, value in check_ballot(kind, refs, ballot).items():
            counts[ref][str(value)] += 1
    return counts


def recommendation_counts(counts: Mapping[str, int]) -> tuple[int, int, int]:
    """yes, no and abstain of one candidate's counts."""
    return counts["yes"], counts["no"], counts["abstain"]


def evaluation_counts(counts: Mapping[str, int]) -> dict[int, int]:
    """One candidate's evaluation counts as value → count, zero counts left out (as a tally is stored)."""
    return {int(value): n for value, n in counts.items() if n}


def closing_hash(box_id: int, kind: str, refs: Sequence[str], ballots: Iterable[tuple[str, Mapping[str, Any]]],
                 receipts: Iterable[str]) -> str:
    """SHA-256 (hex) over a canonical JSON of the box, its candidates, its ballots and receipts.

    Ballots are sorted by their random id as [id, choices] and receipts sorted, so the hash does not
    depend on the order rows are stored or read, but changes with any ballot or receipt changed,
    added or removed.
    """
    body = {
        "box": box_id,
        "kind": kind,
        "candidates": sorted(refs),
        "ballots": [[ballot_id, dict(choices)] for ballot_id, choices in sorted(ballots, key=lambda b: b[0])],
        "receipts": sorted(receipts),
    }
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


def turnout_problem(ballots: int, receipts: int, used_tokens: int) -> str | None:
    """Why the numbers of ballots, receipts and used tokens disagree, or None: each cast makes one of each."""
    if ballots == receipts == used_tokens:
        return None
    return f"{ballots} ballots, {receipts} receipts, {used_tokens} used tokens"


def check_token_count(n: int) -> int:
    """How many tokens to print: 1 to MAX_TOKENS."""
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_TOKENS:
        raise BallotError(f"tokens are printed 1 to {MAX_TOKENS} at a time")
    return n
