"""The pure rules of the public notices: when a notice is out, runs, is current; which lists are public."""

from __future__ import annotations

from datetime import date

import pytest

from publicity.notice_rules import (
    PublishedList, is_inspection_notice_current, is_notice_out, is_publicity_running, page_count, published_lists,
)
from selection.pipeline import Stage

START, END = date(2026, 9, 24), date(2026, 10, 10)


@pytest.mark.parametrize("day, running", [
    (date(2026, 9, 23), False), (START, True), (date(2026, 10, 1), True), (END, True), (date(2026, 10, 11), False),
])
def test_publicity_runs_from_its_start_to_its_end_inclusive(day: date, running: bool) -> None:
    assert is_publicity_running(START, END, day) is running


def test_a_cancelled_or_unscheduled_publicity_does_not_run() -> None:
    assert not is_publicity_running(START, END, date(2026, 10, 1), cancelled=True)
    assert not is_publicity_running(None, None, date(2026, 10, 1))
    assert not is_publicity_running(START, None, date(2026, 10, 1))


def test_a_notice_is_out_from_its_date() -> None:
    assert is_notice_out(START, START) and not is_notice_out(START, date(2026, 9, 23)) and not is_notice_out(None, END)


@pytest.mark.parametrize("stage, current", [
    (Stage.INSPECTION_NOTICE, True), (Stage.INSPECTION, True), (Stage.VOTE_LIST, False), (Stage.CLOSED, False),
])
def test_an_inspection_notice_is_current_until_the_inspection_closes(stage: Stage, current: bool) -> None:
    assert is_inspection_notice_current(stage) is current


@pytest.mark.parametrize("stage, notice_out, lists", [
    (Stage.WRITTEN, False, set()),
    (Stage.INTERVIEW_LIST, False, set()),
    (Stage.INTERVIEW, False, {PublishedList.INTERVIEW}),
    (Stage.INSPECTION_NOTICE, False, {PublishedList.INTERVIEW}),
    (Stage.INSPECTION, True, {PublishedList.INTERVIEW, PublishedList.INSPECTION}),
    (Stage.COMMITTEE_VOTE, True, {PublishedList.INTERVIEW, PublishedList.INSPECTION}),
    (Stage.PUBLICITY, True, set(PublishedList)),
    (Stage.CLOSED, False, {PublishedList.INTERVIEW, PublishedList.ELECTED}),
])
def test_lists_are_published_stage_by_stage(stage: Stage, notice_out: bool, lists: set[PublishedList]) -> None:
    assert published_lists(stage, inspection_notice_out=notice_out) == lists


@pytest.mark.parametrize("items, pages", [(0, 1), (1, 1), (20, 1), (21, 2), (40, 2), (41, 3)])
def test_page_count(items: int, pages: int) -> None:
    assert page_count(items, 20) == pages
