"""The pipeline (选拔流程) as data: the stages of a position and the statuses of a candidate.

RULES.md §12 fixes the order of stages and §13 the statuses. Everything that asks
"may this happen now?" asks this module; nothing here knows about Flask or the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType


class PipelineError(Exception):
    """Base of the errors the pipeline raises."""


class Stage(StrEnum):
    """The steps of one position's way through a round, in the order of RULES.md §12.

    A position *is at* the stage that is open; closing it opens the next one.
    """

    REGISTRATION = "registration"            # 报名
    REVIEW = "review"                        # 单位把关、资格审查
    RECOMMENDATION = "recommendation"        # 公开推荐
    WRITTEN = "written"                      # 笔试
    INTERVIEW_LIST = "interview_list"        # 面试名单
    INTERVIEW = "interview"                  # 面试
    EVALUATION = "evaluation"                # 工作表现考评、工作业绩打分
    TOTALS = "totals"                        # 总成绩、考察名单
    INSPECTION_NOTICE = "inspection_notice"  # 考察预告
    INSPECTION = "inspection"                # 差额考察
    VOTE_LIST = "vote_list"                  # 票决名单
    COMMITTEE_VOTE = "committee_vote"        # 差额票决
    PUBLICITY = "publicity"                  # 任前公示
    APPOINTMENT = "appointment"              # 任职
    PROBATION = "probation"                  # 任职试用
    CLOSED = "closed"                        # every seat settled


STAGE_ORDER: tuple[Stage, ...] = tuple(Stage)


class StageNotReached(PipelineError):
    """An action needs a stage that has not been closed yet."""

    def __init__(self, needed: Stage, current: Stage) -> None:
        super().__init__(needed, current)
        #: the stage that must be closed first (the missing step)
        self.missing = previous_stage(needed)
        self.needed = needed
        self.current = current

    def __str__(self) -> str:
        return (
            f"{self.needed.value} cannot start before {self.missing.value} has closed "
            f"(the position is at {self.current.value})"
        )


def previous_stage(stage: Stage) -> Stage:
    """The stage that must close before `stage` may start."""
    index = STAGE_ORDER.index(stage)
    if index == 0:
        raise PipelineError("registration has no previous stage")
    return STAGE_ORDER[index - 1]


def next_stage(stage: Stage) -> Stage:
    """The stage that opens when `stage` closes."""
    if stage is Stage.CLOSED:
        raise PipelineError("a closed position has no next stage")
    return STAGE_ORDER[STAGE_ORDER.index(stage) + 1]


def check_stage(current: Stage, needed: Stage) -> None:
    """Refuse an action of stage `needed` while the position is still at an earlier one.

    Work of a stage may be done while it is open; a stage already closed stays closed
    (its figures are final), so acting on it later is refused too.
    """
    if STAGE_ORDER.index(current) < STAGE_ORDER.index(needed):
        raise StageNotReached(needed, current)
    if STAGE_ORDER.index(current) > STAGE_ORDER.index(needed):
        raise StageClosed(needed, current)


class StageClosed(PipelineError):
    """An action belongs to a stage that has already closed."""

    def __init__(self, needed: Stage, current: Stage) -> None:
        super().__init__(needed, current)
        self.needed = needed
        self.current = current

    def __str__(self) -> str:
        return f"{self.needed.value} has already closed (the position is at {self.current.value})"


class Status(StrEnum):
    """A candidate's status (RULES.md §13): a live stage reached, or the reason they left."""

    # live statuses, in order
    REGISTERED = "registered"                # 已报名 (review pending)
    QUALIFIED = "qualified"                  # 资格审查通过 (recommendation pending)
    RECOMMENDED = "recommended"              # 公开推荐通过
    INTERVIEW_LIST = "interview_list"        # 进入面试
    INTERVIEWED = "interviewed"              # 完成面试
    INSPECTION_LIST = "inspection_list"      # 列为考察对象
    INSPECTED = "inspected"                  # 考察合格
    VOTE_LIST = "vote_list"                  # 提交票决
    ELECTED = "elected"                      # 票决通过
    TIE_REVOTE = "tie_revote"                # 票数相同、再次票决
    IN_PUBLICITY = "in_publicity"            # 任前公示中
    POSTPONED = "postponed"                  # 暂缓任用
    CLEARED = "cleared"                      # 公示无异议
    ON_PROBATION = "on_probation"            # 任职试用
    FORMALLY_APPOINTED = "formally_appointed"  # 正式任职
    # eliminations, with the reason codes of RULES.md
    NOT_ENDORSED = "not_endorsed"
    UNQUALIFIED_AGE = "unqualified:age"
    UNQUALIFIED_EDUCATION = "unqualified:education"
    UNQUALIFIED_YEARS_IN_RANK = "unqualified:years_in_rank"
    UNQUALIFIED_REVIEW = "unqualified:review"
    RECOMMENDATION_BELOW_THRESHOLD = "recommendation_below_threshold"
    ABSENT_WRITTEN = "absent_written"
    BELOW_WRITTEN_LINE = "below_written_line"
    NOT_SHORTLISTED_INTERVIEW = "not_shortlisted_interview"
    ABSENT_INTERVIEW = "absent_interview"
    EVALUATION_BELOW_FLOOR = "evaluation_below_floor"
    PERFORMANCE_BELOW_FLOOR = "performance_below_floor"
    NOT_SHORTLISTED_INSPECTION = "not_shortlisted_inspection"
    INSPECTION_UNQUALIFIED = "inspection_unqualified"
    NOT_SHORTLISTED_VOTE = "not_shortlisted_vote"
    NOT_ELECTED = "not_elected"
    CANCELLED = "cancelled"                  # 取消任用资格
    PROBATION_FAILED = "probation_failed"    # 试用期不称职

    @property
    def is_live(self) -> bool:
        return self in LIVE_ORDER


LIVE_ORDER: tuple[Status, ...] = tuple(Status)[: list(Status).index(Status.FORMALLY_APPOINTED) + 1]

TERMINAL: frozenset[Status] = frozenset(
    {s for s in Status if not s.is_live and s is not Status.NOT_ELECTED} | {Status.FORMALLY_APPOINTED}
)

_UNQUALIFIED = frozenset({
    Status.NOT_ENDORSED, Status.UNQUALIFIED_AGE, Status.UNQUALIFIED_EDUCATION,
    Status.UNQUALIFIED_YEARS_IN_RANK, Status.UNQUALIFIED_REVIEW,
})

#: Every move a candidate can make. A `not_elected` candidate may still be proposed as
#: backfill (依次递补, RULES.md §10) and so move back to `elected`.
TRANSITIONS: Mapping[Status, frozenset[Status]] = MappingProxyType({
    Status.REGISTERED: frozenset({Status.QUALIFIED}) | _UNQUALIFIED,
    Status.QUALIFIED: frozenset({Status.RECOMMENDED, Status.RECOMMENDATION_BELOW_THRESHOLD}),
    Status.RECOMMENDED: frozenset({
        Status.INTERVIEW_LIST, Status.ABSENT_WRITTEN, Status.BELOW_WRITTEN_LINE,
        Status.NOT_SHORTLISTED_INTERVIEW,
    }),
    Status.INTERVIEW_LIST: frozenset({Status.INTERVIEWED, Status.ABSENT_INTERVIEW}),
    Status.INTERVIEWED: frozenset({
        Status.INSPECTION_LIST, Status.EVALUATION_BELOW_FLOOR, Status.PERFORMANCE_BELOW_FLOOR,
        Status.NOT_SHORTLISTED_INSPECTION,
    }),
    Status.INSPECTION_LIST: frozenset({Status.INSPECTED, Status.INSPECTION_UNQUALIFIED}),
    Status.INSPECTED: frozenset({Status.VOTE_LIST, Status.NOT_SHORTLISTED_VOTE}),
    Status.VOTE_LIST: frozenset({Status.ELECTED, Status.TIE_REVOTE, Status.NOT_ELECTED}),
    Status.TIE_REVOTE: frozenset({Status.ELECTED, Status.NOT_ELECTED}),
    Status.NOT_ELECTED: frozenset({Status.ELECTED}),
    Status.ELECTED: frozenset({Status.IN_PUBLICITY, Status.CANCELLED}),
    Status.IN_PUBLICITY: frozenset({Status.CLEARED, Status.POSTPONED, Status.CANCELLED}),
    Status.POSTPONED: frozenset({Status.CLEARED, Status.CANCELLED}),
    Status.CLEARED: frozenset({Status.ON_PROBATION, Status.POSTPONED, Status.CANCELLED}),
    Status.ON_PROBATION: frozenset({Status.FORMALLY_APPOINTED, Status.PROBATION_FAILED}),
})


class TransitionNotAllowed(PipelineError):
    """A candidate cannot move from one status to another."""

    def __init__(self, current: Status, target: Status) -> None:
        super().__init__(current, target)
        self.current = current
        self.target = target

    def __str__(self) -> str:
        return f"a candidate cannot move from {self.current.value} to {self.target.value}"


def check_transition(current: Status, target: Status) -> None:
    """Refuse a move the table does not allow."""
    if target not in TRANSITIONS.get(current, frozenset()):
        raise TransitionNotAllowed(current, target)
