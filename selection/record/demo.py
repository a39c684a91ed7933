"""The demo round (演示数据): one realistic round with a position at every stage, and demo accounts.

DEMO ONLY. The accounts below have published passwords; `demo load` refuses to run when
the app is configured for production. The round is built here in code as a record dated
2026-11-20 and stored through the same path as `round import`, so the demo can never show
anything the rules would not compute. `demo load` then makes it live (`Round.as_of = None`),
like a round run in the browser: its statuses move with the real date (selection.clock).

Positions: P01 ends with an appointee on probation; P02 has a cancellation, a backfill in
publicity with an open complaint and a cleared candidate; P03 is under inspection, by a team
that `demo-inspector` leads; P04 is at the written exam; P05 is still at review and
recommendation; P06 waits for its evaluation ballots and performance records (so an online
evaluation ballot can be run).

A second round, `DEMO-OPEN`, is open for registration whenever the demo is loaded: set up
and published as in the browser, its window around the clock's date, with three positions
and a few registrations already in, so that anyone can sign up and register from its public
page (/open/DEMO-OPEN).
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from selection.extensions import db
from selection.models import Candidate, Education, Role, Round, User
from selection.pipeline import Status
from selection.rules import id_check_digit

demo_cli = click.Group("demo", help="Load the demo round and demo accounts (demo only).")

DEMO_CODE = "DEMO-2026"
AS_OF = date(2026, 11, 20)

#: username → (role, display name); every password is "<username>-2026". Demo only.
DEMO_ACCOUNTS: dict[str, tuple[Role, str]] = {
    "demo-admin": (Role.ADMIN, "组织部 张明"),
    "demo-supervision": (Role.SUPERVISION, "干部监督科 李静"),
    "demo-inspector": (Role.INSPECTOR, "考察组 王强"),
    "demo-committee": (Role.COMMITTEE_MEMBER, "常委 赵刚"),
    # six more members, so that an online committee sitting (网上票决) has a roll of seven and
    # can reach its quorum of two thirds (RULES.md §8)
    "demo-committee-2": (Role.COMMITTEE_MEMBER, "常委 钱立"),
    "demo-committee-3": (Role.COMMITTEE_MEMBER, "常委 孙红"),
    "demo-committee-4": (Role.COMMITTEE_MEMBER, "常委 李文"),
    "demo-committee-5": (Role.COMMITTEE_MEMBER, "常委 周敏"),
    "demo-committee-6": (Role.COMMITTEE_MEMBER, "常委 吴昊"),
    "demo-committee-7": (Role.COMMITTEE_MEMBER, "常委 郑洁"),
    "demo-candidate": (Role.CANDIDATE, "考生 陈晓燕"),
}

#: the demo candidate account's registration: under inspection in P03
DEMO_CANDIDATE_REF = "C017"

#: the round open for registration, set up again (with fresh dates) at every `demo load`
OPEN_CODE = "DEMO-OPEN"
#: registration opens this many days before the load and closes this many days after
OPEN_SINCE_DAYS, OPEN_UNTIL_DAYS = 3, 14
_OPEN_POSITIONS = [
    ("Q01", "市数据资源管理局信息化科科长", "市数据资源管理局", 1, 40, "bachelor", 2),
    ("Q02", "市文化广电旅游局产业发展科科长", "市文化广电旅游局", 1, 35, "master", 1),
    ("Q03", "区人民政府办公室副主任", "区人民政府办公室", 2, 45, "associate", None),
]
_OPEN_ANNOUNCEMENT = """为进一步优化干部队伍结构，经研究，决定面向全市公开选拔正科级领导干部4名（演示数据）。

一、选拔职位：市数据资源管理局信息化科科长1名、市文化广电旅游局产业发展科科长1名、区人民政府办公室副主任2名，各职位的任职条件见下表。

二、报名条件：政治立场坚定，遵纪守法，具有正常履行职责的身体条件；年龄、学历和任现职级年限按报名截止日计算；须经所在单位同意报考。

三、报名方式：在本页“网上报名”注册账户后填写报名信息，系统当场显示资格条件自动核验结果；单位同意报考证明可上传扫描件，也可由所在单位报送组织部。

四、选拔程序：报名、资格审查、公开推荐、笔试、面试、工作表现考评和工作业绩打分、差额考察、差额票决、任前公示、任职试用。笔试、面试时间和成绩公布时间另行通知，并在本页公布。

五、纪律监督：选拔工作全程接受监督，事事有记录、件件有档案。"""
#: registrations already in the open round (imported, no account): position code → how many
_OPEN_REGISTERED = {"Q01": 3, "Q03": 1}

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
_GIVEN = ["芳", "伟", "娜", "敏", "静", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超", "秀英", "霞",
          "平", "刚", "桂英", "晓燕", "志强", "海燕", "建华", "文博", "思远", "雪梅", "红梅", "国栋", "立新"]
_UNITS = ["市财政局", "市发展和改革委员会", "市教育局", "市卫生健康委员会", "市交通运输局", "市人力资源和社会保障局",
          "市住房和城乡建设局", "区人民政府办公室", "县委组织部", "市生态环境局"]
_REGIONS = ["110101", "310104", "440305", "330106", "420106", "370102", "320102", "510104"]

_POSITIONS = [
    {"code": "P01", "title": "市财政局副局长", "unit": "市财政局", "posts": 1,
     "requirements": {"max_age": 45, "min_education": "bachelor", "min_years_in_rank": 2}},
    {"code": "P02", "title": "市发展和改革委员会副主任", "unit": "市发展和改革委员会", "posts": 2,
     "requirements": {"max_age": 45, "min_education": "bachelor", "min_years_in_rank": 2}},
    {"code": "P03", "title": "市教育局副局长", "unit": "市教育局", "posts": 2,
     "requirements": {"max_age": 40, "min_education": "master", "min_years_in_rank": 1}},
    {"code": "P04", "title": "市卫生健康委员会副主任", "unit": "市卫生健康委员会", "posts": 1,
     "requirements": {"max_age": 45, "min_education": "bachelor"}},
    {"code": "P05", "title": "市交通运输局副局长", "unit": "市交通运输局", "posts": 1,
     "requirements": {"max_age": 40, "min_education": "bachelor", "min_years_in_rank": 2}},
    {"code": "P06", "title": "市住房和城乡建设局副局长", "unit": "市住房和城乡建设局", "posts": 1,
     "requirements": {"max_age": 45, "min_education": "bachelor", "min_years_in_rank": 1}},
]

#: how far each position has come, in candidates per position
_SIZES = {"P01": 7, "P02": 9, "P03": 9, "P04": 7, "P05": 6, "P06": 6}
#: positions whose candidates draw from a random stream of their own, so that adding one
#: leaves every earlier candidate and score of the demo as it was
_OWN_STREAM = {"P06": 20261121}


def _id_number(rng: random.Random, birth: date, sex: str) -> str:
    sequence = rng.randrange(10, 99) * 10 + (rng.choice((1, 3, 5, 7, 9)) if sex == "male" else rng.choice((0, 2, 4, 6, 8)))
    first17 = f"{rng.choice(_REGIONS)}{birth:%Y%m%d}{sequence:03d}"
    return first17 + id_check_digit(first17)


def _ballots(rng: random.Random, quality: int, n: int = 30) -> list[int]:
    """Evaluation ballots leaning to good for a strong candidate, to poor for a weak one."""
    grades = {3: [100, 95, 90, 80], 2: [95, 90, 80, 75, 70], 1: [75, 70, 65, 60, 55], 0: [55, 40, 30, 20, 60]}
    return [rng.choice(grades[quality]) for _ in range(n)]


def _candidate(rng: random.Random, ref: str, position: str, index: int) -> dict[str, Any]:
    sex = rng.choice(("male", "female"))
    birth = date(1987 + rng.randrange(0, 5), rng.randrange(1, 13), rng.randrange(1, 29))
    return {
        "ref": ref, "position": position,
        "name": rng.choice(_SURNAMES) + rng.choice(_GIVEN), "sex": sex, "birth_date": birth.isoformat(),
        "id_number": _id_number(rng, birth, sex), "phone": f"13{rng.randrange(5, 10)}{rng.randrange(10**8):08d}",
        "education": rng.choice(("master", "master", "bachelor", "doctor")),
        "unit": rng.choice(_UNITS), "current_post": rng.choice(("科长", "副处长", "办公室主任", "副主任")),
        "current_post_since": date(2019 + index % 4, 3, 1).isoformat(),
        "rank": rng.choice(("正科级", "副处级")), "rank_since": date(2018 + index % 4, 1, 1).isoformat(),
        "endorsement": {"unit": "所在单位党组", "date": "2026-05-10", "document": f"组函〔2026〕{ref[1:]}号"},
    }


def _through_evaluation(c: dict[str, Any], rng: random.Random, i: int, veto: bool = False) -> None:
    c.update({
        "review": {"decision": "pass"},
        "recommendation": {"yes": 46 - i, "no": 2 + i // 2, "abstain": 1},
        "written": {"written": str(91 - 2.5 * i)},
        "interview": {"scores": [str(90 - i * 1.5 + d) for d in (-2, 0, 1, 2.5, -1)]},
        "evaluation": _ballots(rng, 0 if veto else max(1, 3 - i // 3)),
        "performance": {"annual": ["excellent" if i < 2 else "competent", "competent", "competent"],
                        "awards": ["commendation"] if i % 3 == 0 else [], "penalties": []},
    })


def _findings(rank: int) -> dict[str, str]:
    return {"德": "政治立场坚定,遵规守纪", "能": "业务精通,统筹协调能力强" if rank < 3 else "业务较熟练",
            "勤": "工作勤勉,敢于担当", "绩": "近三年考核优秀,实绩突出" if rank < 3 else "工作实绩较好",
            "廉": "廉洁自律,未发现问题", "fit": "适合担任拟任职务" if rank < 3 else "基本适合"}


def demo_record() -> dict[str, Any]:
    """The demo round record (deterministic: the same every time)."""
    rng = random.Random(20261120)
    candidates: list[dict[str, Any]] = []
    by_position: dict[str, list[dict[str, Any]]] = {}
    for position in _POSITIONS:
        code = position["code"]
        by_position[code] = []
        stream = random.Random(_OWN_STREAM[code]) if code in _OWN_STREAM else rng
        for i in range(_SIZES[code]):
            c = _candidate(stream, f"C{len(candidates) + 1:03d}", code, i)
            candidates.append(c)
            by_position[code].append(c)

    # P01 and P02: the whole way to the vote (P01: C001 wins; P02: C008 and C009 win).
    for code in ("P01", "P02", "P03"):
        for i, c in enumerate(by_position[code]):
            _through_evaluation(c, rng, i, veto=(code == "P03" and i == 2))
    # one candidate per position falls at the written line, one is absent from the interview
    by_position["P01"][6]["written"] = {"written": "58.5"}
    by_position["P02"][8]["interview"] = {"absent": True}
    for code in ("P01", "P02"):
        for i, c in enumerate(by_position[code][:4]):
            c["inspection"] = {"conclusion": "qualified", "rank": i + 1, "findings": _findings(i + 1)}
    by_position["P03"][0]["inspection"] = {"conclusion": "qualified", "rank": 1, "findings": _findings(1)}
    by_position["P03"][1]["inspection"] = {"conclusion": "qualified", "rank": 2, "findings": _findings(2)}

    # P04: recommended, written scores still coming in
    for i, c in enumerate(by_position["P04"]):
        c["review"] = {"decision": "pass"}
        c["recommendation"] = {"yes": 44 - i * 2, "no": 3 + i, "abstain": 2}
        if i < 4:
            c["written"] = {"written": str(86 - 3 * i)}
    # P05: review under way: not endorsed, too old, review pending, recommendation pending
    p05 = by_position["P05"]
    p05[0]["endorsement"] = None
    p05[1]["birth_date"] = "1980-04-12"
    p05[1]["id_number"] = _id_number(rng, date(1980, 4, 12), p05[1]["sex"])
    p05[2]["review"] = {"decision": "pass"}  # p05[3] is still waiting for review
    p05[4]["review"] = {"decision": "pass"}
    p05[4]["recommendation"] = {"yes": 41, "no": 6, "abstain": 3}
    p05[5]["review"] = {"decision": "fail", "reason": "任现职级年限不足"}
    # P06: interviewed; the evaluation ballots (民主测评) and performance records are still to come
    p06_stream = random.Random(_OWN_STREAM["P06"] + 1)
    for i, c in enumerate(by_position["P06"]):
        _through_evaluation(c, p06_stream, i)
        del c["evaluation"], c["performance"]

    p01, p02 = by_position["P01"], by_position["P02"]
    # 11 ballots: P01 8 to 3; P02 C008 7, C009 9, C010 6 — all three above half of 11
    ballots = [{"P01": [p01[0]["ref"] if n < 8 else p01[1]["ref"]],
                "P02": [p02[a]["ref"], p02[b]["ref"]]}
               for n, (a, b) in enumerate([(0, 1)] * 5 + [(1, 2)] * 4 + [(0, 2)] * 2)]
    first_p02, second_p02, backfill = p02[0]["ref"], p02[1]["ref"], p02[2]["ref"]
    return {
        "format": "open-selection-round", "version": 1,
        "round": {"code": DEMO_CODE, "title": "2026年公开选拔副处级领导干部(演示)", "cutoff_date": "2026-06-30",
                  "as_of": AS_OF.isoformat(), "settings": {}},
        "positions": _POSITIONS,
        "candidates": candidates,
        "inspection_notices": [{"position": code, "published": "2026-09-01",
                                "period": "2026年9月8日至9月18日", "purpose": "了解考察对象德能勤绩廉情况",
                                "office_address": "市委组织部干部一科(市行政中心3号楼)", "phone": "0571-87000000"}
                               for code in ("P01", "P02", "P03")],
        # The sitting names its positions: one naming none would also vote on P03 as soon as
        # P03's vote list is formed (docs/decisions.md, "Committee sittings").
        "committees": [{"members": 11, "present": 11, "ballots": ballots, "positions": ["P01", "P02"]}],
        "publicity": [
            {"candidate": p01[0]["ref"], "start": "2026-09-24"},
            {"candidate": first_p02, "start": "2026-09-28"},
            {"candidate": second_p02, "start": "2026-09-28"},
            {"candidate": backfill, "start": (AS_OF - timedelta(days=4)).isoformat()},
        ],
        "complaints": [
            {"candidate": p01[0]["ref"], "kind": "suggestion", "channel": "online", "anonymous": True,
             "received": "2026-09-26", "outcome": None},
            {"candidate": first_p02, "kind": "allegation", "channel": "letter", "anonymous": False,
             "received": "2026-09-30", "outcome": "founded_affecting"},
            {"candidate": backfill, "kind": "allegation", "channel": "online", "anonymous": True,
             "received": "2026-11-18", "outcome": None},
        ],
        "appointments": [{"candidate": p01[0]["ref"], "date": "2026-10-19"}],
    }


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing when any round is stored already.")
@with_appcontext
def load_demo(if_empty: bool) -> None:
    """Store the demo round and the demo accounts (demo only)."""
    from selection.clock import today
    from selection.record.engine import compute
    from selection.record.parse import parse_record
    from selection.record.services import refresh_statuses
    from selection.record.store import store_record
    from selection.services import create_user

    if current_app.config.get("PRODUCTION"):
        raise click.ClickException("the demo data has published passwords; it is never loaded in production")
    if if_empty and db.session.scalar(select(func.count(Round.id))):
        click.echo("demo: rounds are stored already; nothing loaded")
        return
    record = parse_record(demo_record())
    round_ = store_record(record, compute(record), replace=True, actor="cli:demo load")
    # live, like a round run in the browser: computed at the clock's date from now on
    round_.as_of = None
    publish_demo_scores(round_)
    refresh_statuses(round_, actor="cli:demo load", today=today())
    created = []
    for username, (role, display_name) in DEMO_ACCOUNTS.items():
        if db.session.scalar(select(User.id).where(User.username == username)) is None:
            user = create_user(username, display_name=display_name, password=f"{username}-2026", role=role,
                               actor="cli:demo load")
            if role is Role.CANDIDATE:
                user.person = db.session.scalar(select(Candidate).where(
                    Candidate.round_id == round_.id, Candidate.ref == DEMO_CANDIDATE_REF)).person
            created.append(username)
    form_demo_team(round_, today=today())
    open_round = load_open_round(today=today())
    db.session.commit()
    click.echo(f"demo: round {DEMO_CODE} loaded with {len(record.candidates)} candidates; "
               f"round {OPEN_CODE} open for registration until {open_round.registration_closes}; "
               f"accounts created: {', '.join(created) or 'none (they exist)'}")


#: the demo inspector leads the team inspecting this position (under inspection, notice published)
DEMO_TEAM_POSITION = "P03"


def form_demo_team(round_: Round, *, today: date) -> None:
    """demo-inspector leads 第一考察组, which inspects P03, as an admin would set it up."""
    from vetting.services import create_inspection_team

    leader = db.session.scalars(select(User).where(User.username == "demo-inspector")).one()
    position = next(p for p in round_.positions if p.code == DEMO_TEAM_POSITION)
    create_inspection_team(round_, name="第一考察组", leader=leader, members=[], positions=[position],
                           actor="cli:demo load", today=today)


#: when the demo round's exam scores were published, and until when reviews could be asked (UTC)
DEMO_PUBLICATIONS = {"written": ("2026-08-05T01:00:00+00:00", "2026-08-12T09:00:00+00:00"),
                     "interview": ("2026-08-20T01:00:00+00:00", "2026-08-27T09:00:00+00:00")}


def publish_demo_scores(round_: Round) -> None:
    """The demo round's written and interview scores were published in August 2026, before its
    inspection notices, so its candidates' pages show their scores and statuses."""
    from datetime import datetime

    from exams.models import ExamKind, ScorePublication

    for exam, (publish_at, review_until) in DEMO_PUBLICATIONS.items():
        db.session.add(ScorePublication(round=round_, exam=ExamKind(exam), publish_at=datetime.fromisoformat(publish_at),
                                        review_until=datetime.fromisoformat(review_until)))
    db.session.flush()


def load_open_round(*, today: date) -> Round:
    """(Re)create DEMO-OPEN: set up and published as in the browser, registration open around `today`.

    The previous DEMO-OPEN goes first, with its registrations and their uploaded letters.
    Flushes, never commits.
    """
    from selection.models import StoredFile
    from selection.record.model import Endorsement as RecordEndorsement
    from selection.record.parse import check_registration
    from selection.record.services import refresh_statuses
    from selection.record.store import insert_candidates, insert_endorsements, store_persons
    from selection.rounds import PositionDetails, RoundDetails, create_position, open_round, publish_round
    from vetting.models import Endorsement

    actor = "cli:demo load"
    old = db.session.scalar(select(Round).where(Round.code == OPEN_CODE))
    if old is not None:
        letters = db.session.scalars(select(Endorsement.letter_id).join(Candidate).where(
            Candidate.round_id == old.id, Endorsement.letter_id.is_not(None))).all()
        db.session.delete(old)
        db.session.flush()
        for letter in letters:
            db.session.delete(db.session.get(StoredFile, letter))
    closes = today + timedelta(days=OPEN_UNTIL_DAYS)
    round_ = open_round(OPEN_CODE, RoundDetails(
        title=f"{closes.year}年公开选拔正科级领导干部(演示·报名进行中)", cutoff_date=closes,
        registration_opens=today - timedelta(days=OPEN_SINCE_DAYS), registration_closes=closes), {}, actor=actor)
    for code, title, unit, posts, max_age, education, years in _OPEN_POSITIONS:
        create_position(round_, code, PositionDetails(title, unit, posts, max_age, Education(education), years),
                        seen_version=round_.version_id, actor=actor)
    db.session.refresh(round_)
    publish_round(round_, _OPEN_ANNOUNCEMENT, seen_version=round_.version_id, actor=actor)
    rng = random.Random(OPEN_CODE)
    registrations = []
    for code, number in _OPEN_REGISTERED.items():
        for index in range(number):
            raw = _candidate(rng, f"C{len(registrations) + 1:03d}", code, index)
            raw["endorsement"]["date"] = (today - timedelta(days=OPEN_SINCE_DAYS)).isoformat()
            registration, problems = check_registration(raw, positions={p[0] for p in _OPEN_POSITIONS})
            assert registration is not None, problems
            registrations.append(registration)
    ids = insert_candidates(round_, registrations, position_ids={p.code: p.id for p in round_.positions},
                            person_ids=store_persons(registrations),
                            statuses={r.ref: Status.REGISTERED for r in registrations})
    insert_endorsements({ids[r.ref]: r.endorsement for r in registrations
                         if isinstance(r.endorsement, RecordEndorsement)})
    db.session.flush()
    db.session.expire(round_, ["candidates"])
    refresh_statuses(round_, actor=actor, today=today)
    return round_
