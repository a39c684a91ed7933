"""Tests of the pipeline (选拔流程): the shape of the status machine and the order of stages.

Pure: no fixtures. These test properties the table must have (RULES.md §10–13), not the
table itself.
"""

from collections import deque

import pytest

from selection.pipeline import (
    STAGE_ORDER, TERMINAL, TRANSITIONS, PipelineError, Stage, StageClosed, StageNotReached, Status,
    TransitionNotAllowed, check_stage, check_transition, next_stage, previous_stage,
)


def _reachable_from(start: Status) -> set[Status]:
    seen, queue = {start}, deque([start])
    while queue:
        for target in TRANSITIONS.get(queue.popleft(), frozenset()):
            if target not in seen:
                seen.add(target)
                queue.append(target)
    return seen


# --- statuses (RULES.md §13, ROUND-RECORD.md "Results") ---------------------------------

def test_status_live_values_are_those_of_the_round_record_in_order():
    live = [s.value for s in Status if s.is_live]

    assert live == [
        "registered", "qualified", "recommended", "interview_list", "interviewed", "inspection_list",
        "inspected", "vote_list", "elected", "tie_revote", "in_publicity", "postponed", "cleared",
        "on_probation", "formally_appointed",
    ]


def test_status_elimination_values_are_the_reason_codes_of_the_rule_book():
    eliminations = {s.value for s in Status if not s.is_live}

    assert eliminations == {
        "not_endorsed", "unqualified:age", "unqualified:education", "unqualified:years_in_rank",
        "unqualified:review", "recommendation_below_threshold", "absent_written", "below_written_line",
        "not_shortlisted_interview", "absent_interview", "evaluation_below_floor",
        "performance_below_floor", "not_shortlisted_inspection", "inspection_unqualified",
        "not_shortlisted_vote", "not_elected", "cancelled", "probation_failed",
    }


@pytest.mark.parametrize("status", sorted(TERMINAL))
def test_transitions_terminal_status_has_no_exit(status):
    assert not TRANSITIONS.get(status)
    for target in Status:
        with pytest.raises(TransitionNotAllowed):
            check_transition(status, target)


def test_transitions_formally_appointed_and_final_eliminations_are_terminal():
    assert Status.FORMALLY_APPOINTED in TERMINAL
    assert {Status.CANCELLED, Status.PROBATION_FAILED, Status.UNQUALIFIED_REVIEW} <= TERMINAL


@pytest.mark.parametrize("status", list(Status))
def test_transitions_no_status_moves_to_itself(status):
    assert status not in TRANSITIONS.get(status, frozenset())
    with pytest.raises(TransitionNotAllowed):
        check_transition(status, status)


@pytest.mark.parametrize("status", [s for s in Status if s.is_live and s not in TERMINAL])
def test_transitions_live_status_can_reach_formally_appointed(status):
    assert Status.FORMALLY_APPOINTED in _reachable_from(status)


def test_transitions_every_status_is_reachable_from_registered():
    assert _reachable_from(Status.REGISTERED) == set(Status)


def test_transitions_not_elected_can_still_be_backfilled():
    # RULES.md §10: the next of the vote may be proposed after a cancellation (依次递补)
    check_transition(Status.NOT_ELECTED, Status.ELECTED)


@pytest.mark.parametrize(("current", "target"), [
    (Status.REGISTERED, Status.IN_PUBLICITY),
    (Status.REGISTERED, Status.RECOMMENDED),        # review skipped
    (Status.QUALIFIED, Status.INTERVIEW_LIST),      # recommendation skipped
    (Status.INTERVIEWED, Status.VOTE_LIST),         # inspection skipped
    (Status.VOTE_LIST, Status.IN_PUBLICITY),        # vote skipped
    (Status.ELECTED, Status.ON_PROBATION),          # publicity skipped
    (Status.IN_PUBLICITY, Status.ON_PROBATION),     # §10: not while the period runs
    (Status.POSTPONED, Status.ON_PROBATION),        # §10: not while an allegation is unresolved
    (Status.CANCELLED, Status.ELECTED),
    (Status.FORMALLY_APPOINTED, Status.ON_PROBATION),
])
def test_check_transition_refuses_a_forbidden_jump(current, target):
    with pytest.raises(TransitionNotAllowed) as caught:
        check_transition(current, target)

    assert current.value in str(caught.value)
    assert target.value in str(caught.value)


def test_check_transition_allows_a_move_of_the_table():
    check_transition(Status.REGISTERED, Status.QUALIFIED)


# --- stages (RULES.md §12) --------------------------------------------------------------

def test_stage_order_is_that_of_the_rule_book():
    # registration → review and endorsement → recommendation → written exam → interview list
    # → interview → evaluation and performance record → totals and inspection list →
    # inspection notice → inspection → vote list → committee vote → publicity → appointment
    # → probation
    assert [stage.value for stage in STAGE_ORDER] == [
        "registration", "review", "recommendation", "written", "interview_list", "interview",
        "evaluation", "totals", "inspection_notice", "inspection", "vote_list", "committee_vote",
        "publicity", "appointment", "probation", "closed",
    ]


@pytest.mark.parametrize("stage", STAGE_ORDER[1:])
def test_previous_stage_and_next_stage_are_inverse(stage):
    assert next_stage(previous_stage(stage)) is stage


def test_previous_stage_of_registration_and_next_of_closed_do_not_exist():
    with pytest.raises(PipelineError):
        previous_stage(Stage.REGISTRATION)
    with pytest.raises(PipelineError):
        next_stage(Stage.CLOSED)


@pytest.mark.parametrize(("current", "needed", "missing"), [
    (Stage.REGISTRATION, Stage.REVIEW, Stage.REGISTRATION),
    (Stage.WRITTEN, Stage.INTERVIEW_LIST, Stage.WRITTEN),
    (Stage.TOTALS, Stage.INSPECTION, Stage.INSPECTION_NOTICE),     # §7: no inspection without a notice
    (Stage.INSPECTION, Stage.COMMITTEE_VOTE, Stage.VOTE_LIST),
    (Stage.REGISTRATION, Stage.PUBLICITY, Stage.COMMITTEE_VOTE),
    (Stage.PUBLICITY, Stage.APPOINTMENT, Stage.PUBLICITY),
])
def test_check_stage_refuses_an_action_of_a_later_stage_naming_the_missing_step(current, needed, missing):
    with pytest.raises(StageNotReached) as caught:
        check_stage(current, needed)

    assert caught.value.missing is missing
    assert missing.value in str(caught.value)
    assert needed.value in str(caught.value)


@pytest.mark.parametrize(("current", "needed"), [
    (Stage.INTERVIEW, Stage.WRITTEN),
    (Stage.CLOSED, Stage.PROBATION),
    (Stage.PUBLICITY, Stage.COMMITTEE_VOTE),
])
def test_check_stage_refuses_acting_on_a_closed_stage(current, needed):
    with pytest.raises(StageClosed) as caught:
        check_stage(current, needed)

    assert needed.value in str(caught.value)


@pytest.mark.parametrize("stage", STAGE_ORDER)
def test_check_stage_allows_work_of_the_open_stage(stage):
    check_stage(stage, stage)
