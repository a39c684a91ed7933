"""Setting up a round (选拔工作的设置): its record, settings, calendar, positions and publication."""

from __future__ import annotations

from datetime import date

import pytest

from selection.pipeline import Stage
from selection.rules import SETTING_NAMES, SETUP_STAGES, final_fields, is_registration_window


def test_every_setting_is_governed_by_a_stage() -> None:
    assert set(SETTING_NAMES) <= set(SETUP_STAGES)


@pytest.mark.parametrize(("stages", "final"), [
    ([], []),
    ([Stage.REGISTRATION], []),
    ([Stage.REGISTRATION, Stage.RECOMMENDATION], ["recommendation_threshold"]),
    ([Stage.TOTALS], ["recommendation_threshold", "weights"]),
])
def test_a_setting_is_final_once_its_stage_has_started(stages: list[Stage], final: list[str]) -> None:
    assert final_fields(["weights", "recommendation_threshold", "publicity_days"], stages) == final


def test_title_is_never_final() -> None:
    assert final_fields(["title"], [Stage.CLOSED]) == []


def test_registration_window() -> None:
    assert is_registration_window(date(2026, 5, 1), date(2026, 5, 1))
    assert not is_registration_window(date(2026, 5, 2), date(2026, 5, 1))
    assert is_registration_window(None, date(2026, 5, 1))
