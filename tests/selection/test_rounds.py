"""Setting up a round (选拔工作的设置): its record, settings, calendar, positions and publication."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date

import pytest
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import select

from selection.forms import default_settings_text
from selection.models import AuditEvent, DayKind, Education, Role, Round, User
from selection.pipeline import Stage
from selection.record.demo import demo_record
from selection.record.engine import compute
from selection.record.parse import parse_record
from selection.record.store import store_record
from selection.rounds import (
    PositionDetails, RoundDetails, SetupRefused, add_holiday, create_position, open_round, publish_round,
    remove_holiday, update_position, update_round, update_round_settings,
)
from selection.rules import SETTING_NAMES, SETUP_STAGES, SettingsError, final_fields, is_registration_window
from selection.services import StaleEdit


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


# --- services, on both databases --------------------------------------------------------

DAY = date(2026, 11, 20)
DETAILS = RoundDetails(title="2027年公开选拔副处级领导干部", cutoff_date=date(2027, 3, 31),
                       registration_opens=date(2027, 3, 1), registration_closes=date(2027, 3, 15))
POSITION = PositionDetails(title="市财政局副局长", unit="市财政局", posts=1, max_age=40,
                           min_education=Education.BACHELOR, min_years_in_rank=2)


def _events(db: SQLAlchemy, action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


@pytest.fixture
def demo(db: SQLAlchemy) -> Round:
    record = parse_record(demo_record())
    return store_record(record, compute(record), replace=False, actor="test")


@pytest.mark.db
def test_open_round_stores_only_the_overrides_as_given(db: SQLAlchemy) -> None:
    round_ = open_round("R2027-01", DETAILS, {"interview_ratio": "2", "vote_ratio": "1.5",
                                              "weights": {"written": "0.5", "interview": "0.2",
                                                          "evaluation": "0.15", "performance": "0.15"}},
                        actor="admin")

    # vote_ratio 1.5 is the default, so it is not stored
    assert round_.settings == {"interview_ratio": "2", "weights": {"written": "0.5", "interview": "0.2",
                                                                   "evaluation": "0.15", "performance": "0.15"}}
    assert round_.as_of is None and round_.published_at is None
    [event] = _events(db, "round.create")
    assert event.subject == "round:R2027-01" and event.after["settings"]["interview_ratio"] == "2"


@pytest.mark.db
def test_weights_not_summing_to_one_are_refused_naming_weights(db: SQLAlchemy) -> None:
    with pytest.raises(SettingsError) as refused:
        open_round("R2027-01", DETAILS, {"weights": {"written": "0.5", "interview": "0.3",
                                                     "evaluation": "0.15", "performance": "0.15"}}, actor="admin")

    assert [p.split(":")[0] for p in refused.value.problems] == ["settings.weights"]
    assert db.session.scalar(select(Round).where(Round.code == "R2027-01")) is None


@pytest.mark.db
def test_unknown_setting_and_duplicate_code_are_refused(db: SQLAlchemy) -> None:
    with pytest.raises(SettingsError, match="settings.speed: unknown setting"):
        open_round("R2027-01", DETAILS, {"speed": "2"}, actor="admin")
    open_round("R2027-01", DETAILS, {}, actor="admin")
    with pytest.raises(SetupRefused):
        open_round("R2027-01", DETAILS, {}, actor="admin")


@pytest.mark.db
def test_registration_window_must_not_close_before_it_opens(db: SQLAlchemy) -> None:
    backwards = RoundDetails(title="x", cutoff_date=date(2027, 3, 31), registration_opens=date(2027, 3, 15),
                             registration_closes=date(2027, 3, 1))
    with pytest.raises(SetupRefused):
        open_round("R2027-01", backwards, {}, actor="admin")


@pytest.mark.db
def test_update_round_audits_settings_before_and_after(db: SQLAlchemy) -> None:
    round_ = open_round("R2027-01", DETAILS, {"interview_ratio": "2"}, actor="admin")
    db.session.commit()

    update_round(round_, replace(DETAILS, title="新标题"), {"publicity_days": "5"},
                 seen_version=round_.version_id, actor="admin", today=DAY)

    assert round_.title == "新标题" and round_.settings == {"publicity_days": "5"}
    [settings] = _events(db, "round.settings")
    assert settings.before == {"interview_ratio": "2", "publicity_days": 7}
    assert settings.after == {"interview_ratio": "3", "publicity_days": 5}
    [details] = _events(db, "round.update")
    assert details.before == {"title": DETAILS.title} and details.after == {"title": "新标题"}


@pytest.mark.db
def test_stale_round_edit_is_refused_and_changes_nothing(db: SQLAlchemy) -> None:
    round_ = open_round("R2027-01", DETAILS, {}, actor="admin")
    db.session.commit()
    seen = round_.version_id
    update_round(round_, replace(DETAILS, title="第一次"), {}, seen_version=seen, actor="a", today=DAY)
    db.session.commit()

    with pytest.raises(StaleEdit):
        update_round(round_, replace(DETAILS, title="第二次"), {}, seen_version=seen, actor="b", today=DAY)
    db.session.rollback()

    assert db.session.get(Round, round_.id).title == "第一次"


@pytest.mark.db
def test_settings_of_a_started_stage_are_final(db: SQLAlchemy, demo: Round) -> None:
    # P01 of the demo is on probation: every stage up to appointment has started
    with pytest.raises(SetupRefused, match="weights"):
        update_round_settings(demo, {"weights": {"written": "0.5", "interview": "0.2", "evaluation": "0.15",
                                                 "performance": "0.15"}}, actor="admin", today=DAY)


@pytest.mark.db
def test_holiday_addition_belongs_to_the_round(db: SQLAlchemy) -> None:
    round_ = open_round("R2027-01", DETAILS, {}, actor="admin")

    add_holiday(round_, date(2027, 10, 1), DayKind.HOLIDAY, "国庆节", actor="admin", today=DAY)

    [day] = round_.holiday_additions
    assert (day.round_id, day.day, day.kind, day.name) == (round_.id, date(2027, 10, 1), DayKind.HOLIDAY, "国庆节")
    with pytest.raises(SetupRefused):
        add_holiday(round_, date(2027, 10, 1), DayKind.WORKDAY, None, actor="admin", today=DAY)
    remove_holiday(round_, date(2027, 10, 1), actor="admin", today=DAY)
    assert [e.before["day"] for e in _events(db, "round.calendar") if e.before] == ["2027-10-01"]


@pytest.mark.db
def test_positions_need_a_post_and_a_code_of_their_own(db: SQLAlchemy) -> None:
    round_ = open_round("R2027-01", DETAILS, {}, actor="admin")
    position = create_position(round_, "P01", POSITION, seen_version=round_.version_id, actor="admin")

    assert (position.stage, position.posts, position.min_education) == (Stage.REGISTRATION, 1, Education.BACHELOR)
    with pytest.raises(SetupRefused):
        create_position(round_, "P01", POSITION, seen_version=round_.version_id, actor="admin")
    with pytest.raises(SetupRefused):
        create_position(round_, "P02", replace(POSITION, posts=0), seen_version=round_.version_id, actor="admin")


@pytest.mark.db
def test_requirements_are_final_once_review_has_started(db: SQLAlchemy, demo: Round) -> None:
    p05 = next(p for p in demo.positions if p.code == "P05")

    update_position(p05, PositionDetails(p05.title + "(调整)", p05.unit, p05.posts, p05.max_age, p05.min_education,
                                         p05.min_years_in_rank), seen_version=demo.version_id, actor="admin",
                    today=DAY)
    with pytest.raises(SetupRefused, match="max_age"):
        update_position(p05, PositionDetails(p05.title, p05.unit, p05.posts, 50, p05.min_education,
                                             p05.min_years_in_rank), seen_version=demo.version_id, actor="admin",
                        today=DAY)

    [event] = _events(db, "position.update")
    assert event.after == {"title": "市交通运输局副局长(调整)"}


@pytest.mark.db
def test_publish_round_once_with_positions_and_a_window(db: SQLAlchemy) -> None:
    round_ = open_round("R2027-01", DETAILS, {}, actor="admin")
    with pytest.raises(SetupRefused):
        publish_round(round_, "公告", seen_version=round_.version_id, actor="admin")
    create_position(round_, "P01", POSITION, seen_version=round_.version_id, actor="admin")

    publish_round(round_, "  2027年公开选拔公告  ", seen_version=round_.version_id, actor="admin")

    assert round_.published_at is not None and round_.announcement == "2027年公开选拔公告"
    assert _events(db, "round.publish")[0].after["announcement"] == "2027年公开选拔公告"
    with pytest.raises(SetupRefused):
        publish_round(round_, "再次", seen_version=round_.version_id, actor="admin")


# --- the set-up pages, as an admin ------------------------------------------------------

FORM = {"code": "R2027-01", "title": "2027年公开选拔副处级领导干部", "registration_opens": "2027-03-01",
        "registration_closes": "2027-03-15", "cutoff_date": "2027-03-31"}


@pytest.fixture
def admin_client(client: FlaskClient, create_account: Callable[..., User],
                 login_as: Callable[..., FlaskClient]) -> FlaskClient:
    return login_as(client, create_account(Role.ADMIN, "org-admin"))


def _round(db: SQLAlchemy, code: str = "R2027-01") -> Round | None:
    db.session.expire_all()
    return db.session.scalar(select(Round).where(Round.code == code))


def test_new_round_page_shows_every_default_in_chinese(admin_client: FlaskClient) -> None:
    page = admin_client.get("/rounds/new").get_data(as_text=True)

    assert '<html lang="zh-CN">' in page and "新建选拔工作" in page and "规则设置" in page
    assert "总成绩权重" in page and "公开推荐通过率" in page and "默认:自然日(法定节假日除外)" in page
    for name, default in default_settings_text().items():
        if name != "publicity_mode":
            assert f'name="{name}" placeholder="{default}"' in page or f'placeholder="{default}"' in page


def test_new_round_is_stored_with_its_overrides_only(admin_client: FlaskClient, db: SQLAlchemy) -> None:
    response = admin_client.post("/rounds/new", data={**FORM, "interview_ratio": "2", "vote_ratio": "",
                                                      "publicity_mode": "working", "speed": "9"})

    assert response.status_code == 302 and response.headers["Location"] == "/rounds/R2027-01"
    round_ = _round(db)
    # an unknown field is not a setting: it is ignored, never stored
    assert round_.settings == {"interview_ratio": "2", "publicity_mode": "working"}
    assert round_.as_of is None


def test_page_refuses_weights_not_summing_to_one_naming_weights(admin_client: FlaskClient, db: SQLAlchemy) -> None:
    response = admin_client.post("/rounds/new", data={
        **FORM, "weights": "written=0.5, interview=0.3, evaluation=0.15, performance=0.15"})

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "设置未保存:weights 有误。" in page
    assert "总成绩权重(weights):各项权重之和为 1.10,不等于 1" in page
    assert _round(db) is None


def test_malformed_and_out_of_range_settings_name_their_field(admin_client: FlaskClient, db: SQLAlchemy) -> None:
    response = admin_client.post("/rounds/new", data={**FORM, "vote_ratio": "1", "written_papers": "written"})

    page = response.get_data(as_text=True)
    assert "请按“名称=权重”填写" in page
    response = admin_client.post("/rounds/new", data={**FORM, "vote_ratio": "1"})
    assert "差额票决比例(vote_ratio):必须大于 1" in response.get_data(as_text=True)
    assert _round(db) is None


def test_edit_round_shows_overrides_and_refuses_a_stale_form(admin_client: FlaskClient, db: SQLAlchemy) -> None:
    admin_client.post("/rounds/new", data={**FORM, "interview_ratio": "2"})
    page = admin_client.get("/rounds/R2027-01/edit").get_data(as_text=True)
    version = re.search(r'id="version" name="version" type="hidden" value="(\d+)"', page).group(1)
    assert 'name="interview_ratio" placeholder="3" type="text" value="2"' in page

    first = admin_client.post("/rounds/R2027-01/edit", data={**FORM, "title": "第一次", "version": version})
    second = admin_client.post("/rounds/R2027-01/edit", data={**FORM, "title": "第二次", "version": version})

    assert first.status_code == 302
    assert second.status_code == 409
    assert "他人已修改了这些内容;本次未保存" in second.get_data(as_text=True)
    assert _round(db).title == "第一次"


def test_settings_change_is_audited_before_and_after(admin_client: FlaskClient, db: SQLAlchemy) -> None:
    admin_client.post("/rounds/new", data={**FORM, "interview_ratio": "2"})
    version = _round(db).version_id

    admin_client.post("/rounds/R2027-01/edit", data={**FORM, "publicity_days": "5", "version": version})

    [event] = _events(db, "round.settings")
    assert (event.actor, event.before, event.after) == (
        "org-admin", {"interview_ratio": "2", "publicity_days": 7}, {"interview_ratio": "3", "publicity_days": 5})


def test_calendar_page_adds_and_removes_days(admin_client: FlaskClient, db: SQLAlchemy) -> None:
    admin_client.post("/rounds/new", data=FORM)

    added = admin_client.post("/rounds/R2027-01/calendar", data={"day": "2027-10-01", "kind": "holiday",
                                                                 "name": "国庆节"}, follow_redirects=True)

    page = added.get_data(as_text=True)
    assert "2027年10月1日" in page and "休息日(节假日)" in page and "国庆节" in page
    twice = admin_client.post("/rounds/R2027-01/calendar", data={"day": "2027-10-01", "kind": "workday"},
                              follow_redirects=True)
    assert "2027-10-01 已在本次选拔的节假日日历中。" in twice.get_data(as_text=True)
    admin_client.post("/rounds/R2027-01/calendar", data={"remove": "2027-10-01"})
    assert _round(db).holiday_additions == []


def test_position_pages_create_and_edit(admin_client: FlaskClient, db: SQLAlchemy) -> None:
    admin_client.post("/rounds/new", data=FORM)
    page = admin_client.get("/rounds/R2027-01/positions/new").get_data(as_text=True)
    assert "新增职位" in page and "最低学历" in page and "大学本科" in page
    version = _round(db).version_id
    position = {"code": "P01", "title": "市财政局副局长", "unit": "市财政局", "posts": "1", "max_age": "40",
                "min_education": "bachelor", "min_years_in_rank": "2", "version": version}

    none = admin_client.post("/rounds/R2027-01/positions/new", data={**position, "posts": "0"})
    assert none.status_code == 200 and _round(db).positions == []
    assert "1" in re.search(r'<p class="field-error">(.*?)</p>', none.get_data(as_text=True)).group(1)

    created = admin_client.post("/rounds/R2027-01/positions/new", data=position)

    assert created.status_code == 302
    [stored] = _round(db).positions
    assert (stored.code, stored.posts, stored.max_age, stored.min_education) == ("P01", 1, 40, Education.BACHELOR)
    edited = admin_client.post("/rounds/R2027-01/positions/P01/edit",
                               data={**position, "posts": "2", "version": _round(db).version_id})
    assert edited.status_code == 302 and _round(db).positions[0].posts == 2


def test_publish_from_the_round_hub(admin_client: FlaskClient, db: SQLAlchemy) -> None:
    admin_client.post("/rounds/new", data=FORM)
    refused = admin_client.post("/rounds/R2027-01/publish", data={"announcement": "公告",
                                                                  "version": _round(db).version_id},
                                follow_redirects=True)
    assert "请先添加至少一个职位再发布。" in refused.get_data(as_text=True)
    create_position(_round(db), "P01", POSITION, seen_version=_round(db).version_id, actor="admin")
    db.session.commit()
    hub = admin_client.get("/rounds/R2027-01").get_data(as_text=True)
    assert "报名时间:2027年3月1日至2027年3月15日。" in hub and "P01 市财政局副局长(市财政局),职数1名" in hub

    published = admin_client.post("/rounds/R2027-01/publish", data={"announcement": "2027年公开选拔公告",
                                                                    "version": _round(db).version_id},
                                  follow_redirects=True)

    page = published.get_data(as_text=True)
    assert "R2027-01 的公告已发布。" in page and '<pre class="announcement">2027年公开选拔公告</pre>' in page
    assert _round(db).published_at is not None
