"""A synthetic round record of any size, deterministic from its seed (for bench_replay).

A whole round as ROUND-RECORD.md describes it: positions of 20 to 80 candidates and 1 to 3
posts, every candidate with registration, endorsement, review, recommendation tally, two
written papers, interview scores, 30 evaluation ballots and a performance record; inspection
notices, inspection records for those on the list, one committee sitting, publicity,
complaints, appointments and final assessments. Some positions stop at an earlier stage, so
the record mixes finished and in-progress positions, as a national round would.

How it stays valid and cheap at a million candidates: a few dozen position *templates* are
built and run through the engine itself, stage by stage (inspection records go to those the
engine put on the inspection list, ballots name its vote list, publicity its elected...).
Every position of the record is a template's copy with its own refs, names, units and ID
numbers; a position's results depend on its own candidates only, so a copy's results are its
template's. The record is written candidate by candidate, never held whole in memory.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from selection.record.engine import compute
from selection.record.parse import parse_record
from publicity.rules import probation_end
from selection.rules import id_check_digit

CUTOFF = date(2026, 6, 30)
AS_OF = "2027-11-20"
SETTINGS = {"written_papers": {"general": "0.6", "specialty": "0.4"}}
MEMBERS, PRESENT = 15, 13
TEMPLATES = 48
BALLOT_VALUES = (100, 95, 90, 80, 75, 70, 65, 60, 55, 40, 30, 20)
UNITS = [f"{city}{office}" for city in ("市", "区", "县") for office in (
    "财政局", "教育局", "卫生健康委员会", "交通运输局", "发展和改革委员会", "生态环境局", "人力资源和社会保障局",
    "住房和城乡建设局", "农业农村局", "商务局", "审计局", "统计局", "应急管理局", "市场监督管理局", "司法局")]
TITLES = ("副局长", "副主任", "副处长", "副院长", "副总经理")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "芳伟娜敏静磊洋艳勇军杰娟涛明超霞平刚燕华文博远梅栋新"
POSTS = ("科长", "副科长", "主任科员", "副主任", "科员")
FINDINGS = {"德": "政治立场坚定", "能": "业务能力较强", "勤": "工作勤勉", "绩": "实绩突出", "廉": "廉洁自律",
            "fit": "适合该职位"}


def _day(start: date, rng: random.Random, span: int) -> date:
    return start + timedelta(days=rng.randrange(span))


def _score(rng: random.Random, low: float, high: float) -> str:
    return f"{rng.uniform(low, high):.{rng.choice((0, 1, 2))}f}"


class Template:
    """One position's candidates and after-vote entries, refs T000…, valid by the engine."""

    def __init__(self, number: int, size: int, rng: random.Random) -> None:
        self.number = number
        self.posts = rng.choice((1, 1, 1, 2, 2, 3))
        self.requirements: dict[str, Any] = {}
        if rng.random() < 0.5:
            self.requirements["max_age"] = rng.choice((45, 50))
        if rng.random() < 0.5:
            self.requirements["min_education"] = "bachelor"
        if rng.random() < 0.3:
            self.requirements["min_years_in_rank"] = 2
        # how far the position has got: most finished, some still at an earlier stage
        # (one committee sitting votes on every vote list, so no position stops just before the vote)
        self.stage = rng.choices(("written", "interview", "inspection", "done"), (1, 1, 1, 17))[0]
        self.candidates = [self._candidate(j, rng) for j in range(size)]
        self.ballots: list[list[str]] = []
        self.publicity: list[dict[str, Any]] = []
        self.complaints: list[dict[str, Any]] = []
        self.appointments: list[dict[str, Any]] = []
        self._run_stages(rng)

    def _candidate(self, j: int, rng: random.Random) -> dict[str, Any]:
        # a birth date and a sequence number no other template candidate has: copies differ by region only
        birth = date(1978, 1, 1) + timedelta(days=(self.number * 97 + j) % 6000)
        sex = rng.choice(("male", "female"))
        seq = 2 * ((self.number * 97 + j) // 6000) + (sex == "male")
        quality = rng.random()
        since = _day(date(2014, 1, 1), rng, 3650)
        c: dict[str, Any] = {
            "ref": f"T{j:03d}", "sex": sex, "birth_date": birth.isoformat(), "seq": f"{seq:03d}",
            "education": rng.choices(("associate", "bachelor", "master", "doctor"), (1, 12, 6, 1))[0],
            "current_post": rng.choice(POSTS), "current_post_since": since.isoformat(),
            "rank": rng.choice(("正科级", "副科级")), "rank_since": (since - timedelta(days=rng.randrange(900))).isoformat(),
            "endorsement": None if rng.random() < 0.02 else {"date": _day(date(2026, 5, 1), rng, 30).isoformat()},
            "review": {"decision": "pass"} if rng.random() < 0.97 else {"decision": "fail", "reason": "任职年限材料不符"},
        }
        yes = rng.randint(20, 50)
        c["recommendation"] = {"yes": yes + int(quality * 30), "no": rng.randint(0, 8), "abstain": rng.randint(0, 4)}
        if rng.random() < 0.2:
            c["recommendation"]["invalid"] = rng.randint(1, 3)
        if self.stage != "written":
            c["written"] = {"absent": True} if rng.random() < 0.02 else {
                "general": _score(rng, 45 + quality * 30, 70 + quality * 28),
                "specialty": _score(rng, 45 + quality * 30, 70 + quality * 28)}
        if self.stage not in ("written", "interview"):
            c["interview"] = {"absent": True} if rng.random() < 0.02 else {
                "scores": [_score(rng, 65 + quality * 15, 80 + quality * 18) for _ in range(rng.choice((5, 7)))]}
        weights = [1 + quality * 8, 1 + quality * 6, 1 + quality * 4, 4, 4, 3, 2, 1.5, 1, 0.5, 0.3, 0.2]
        c["evaluation"] = rng.choices(BALLOT_VALUES, weights, k=30)
        c["performance"] = {
            "annual": rng.choices(("excellent", "competent", "basically_competent"), (2 + 3 * quality, 7, 0.3), k=3),
            "awards": rng.sample(("commendation", "commendation", "merit_class_3", "merit_class_2"), rng.choice((0, 0, 1, 2))),
            "penalties": ["warning"] if rng.random() < 0.02 else []}
        return c

    # ---- stage by stage, as the engine sees it

    def record(self) -> dict[str, Any]:
        """The template as a one-position record (identity fields filled in plainly)."""
        return {
            "format": "open-selection-round", "version": 1,
            "round": {"code": f"T{self.number}", "title": "模板", "cutoff_date": CUTOFF.isoformat(), "as_of": AS_OF,
                      "settings": SETTINGS},
            "positions": [{"code": "P", "title": "职位", "unit": "单位", "posts": self.posts,
                           "requirements": self.requirements}],
            "candidates": [self._plain(c) for c in self.candidates],
            "inspection_notices": [{"position": "P", "published": "2026-08-20"}] if self._noticed() else [],
            "committee": None if not self.ballots else {
                "members": MEMBERS, "present": PRESENT, "ballots": [{"P": b} for b in self.ballots]},
            "publicity": self.publicity, "complaints": self.complaints, "appointments": self.appointments,
        }

    def _noticed(self) -> bool:
        return self.stage == "done"

    def _plain(self, c: dict[str, Any]) -> dict[str, Any]:
        return _full(c, "P", c["ref"], "110101", "张三", "市财政局", 0)

    def _results(self) -> dict[str, Any]:
        return compute(parse_record(self.record())).as_json()  # type: ignore[return-value]

    def _run_stages(self, rng: random.Random) -> None:
        if self.stage != "done":
            return
        position = self._results()["positions"][0]
        ranked = position["inspection_list"] or []
        ranks = rng.sample(range(1, len(ranked) + 1), len(ranked))
        by_ref = {c["ref"]: c for c in self.candidates}
        for ref, rank in zip(ranked, ranks):
            by_ref[ref]["inspection"] = {"conclusion": "qualified" if rng.random() < 0.95 else "unqualified",
                                         "rank": rank, "findings": FINDINGS}
        vote_list = self._results()["positions"][0]["vote_list"]
        if not vote_list:
            return
        favourites = rng.sample(vote_list, self.posts)
        for _ in range(PRESENT):
            if rng.random() < 0.75:
                self.ballots.append(sorted(favourites))
            elif rng.random() < 0.95:
                self.ballots.append(sorted(rng.sample(vote_list, rng.randint(0, self.posts))))
            else:  # names more than the posts: invalid for this position, not refused
                self.ballots.append(sorted(rng.sample(vote_list, min(len(vote_list), self.posts + 1))))
        elected = self._results()["positions"][0]["elected"] or []
        for ref in elected:
            self.publicity.append({"candidate": ref, "start": _day(date(2026, 9, 14), rng, 70).isoformat()})
        if not elected:
            return
        ends = {c["ref"]: c["publicity_end"] for c in self._results()["candidates"] if c["publicity_end"]}
        for entry in self.publicity:
            ref, start, end = entry["candidate"], date.fromisoformat(entry["start"]), date.fromisoformat(ends[entry["candidate"]])
            complaint = None
            if rng.random() < 0.3:
                kind = "allegation" if rng.random() < 0.7 else "suggestion"
                outcomes = (("unfounded", "founded_not_affecting", None, "unresolved", "founded_affecting")
                            if kind == "allegation" else ("unfounded", "founded_not_affecting", None))
                complaint = {"candidate": ref, "kind": kind, "channel": rng.choice(("online", "phone", "letter")),
                             "anonymous": rng.random() < 0.5, "received": _day(start, rng, (end - start).days + 1).isoformat(),
                             "outcome": rng.choice(outcomes)}
                self.complaints.append(complaint)
            held = complaint is not None and complaint["kind"] == "allegation" and complaint["outcome"] in (
                None, "unresolved", "founded_affecting")
            if held or rng.random() < 0.15:
                continue
            on = end + timedelta(days=rng.randint(3, 40))
            appointment: dict[str, Any] = {"candidate": ref, "date": on.isoformat()}
            if rng.random() < 0.7:
                appointment["assessment"] = {"date": (probation_end(on, 12) + timedelta(days=rng.randint(0, 30))).isoformat(),
                                             "result": "competent" if rng.random() < 0.95 else "incompetent"}
            self.appointments.append(appointment)
        self._results()  # the whole template must be a valid record: refused here, not in the benchmark


def _full(c: dict[str, Any], position: str, ref: str, region: str, name: str, unit: str, document: int) -> dict[str, Any]:
    """A template candidate as a record's candidate: its ID number from `region` and the template's date and sequence."""
    first17 = region + c["birth_date"].replace("-", "") + c["seq"]
    out = {"ref": ref, "position": position, "name": name, "sex": c["sex"], "birth_date": c["birth_date"],
           "id_number": first17 + id_check_digit(first17), "education": c["education"], "unit": unit,
           "current_post": c["current_post"], "current_post_since": c["current_post_since"], "rank": c["rank"],
           "rank_since": c["rank_since"],
           "endorsement": None if c["endorsement"] is None else {
               "unit": f"{unit}党组", "date": c["endorsement"]["date"], "document": f"组函〔2026〕{document}号"}}
    for key in ("review", "recommendation", "written", "interview", "evaluation", "performance", "inspection"):
        if key in c:
            out[key] = c[key]
    return out


_made: dict[int, tuple[list[Template], Any]] = {}


def _templates(seed: int) -> tuple[list[Template], random.Random]:
    """The templates of `seed` and the generator as it stands after them (made once per process)."""
    if seed not in _made:
        rng = random.Random(seed)
        _made[seed] = [Template(t, rng.randint(20, 80), rng) for t in range(TEMPLATES)], rng.getstate()
    templates, state = _made[seed]
    rng = random.Random()
    rng.setstate(state)
    return templates, rng


def write_record(path: Path, candidates: int, *, seed: int = 2026) -> dict[str, int]:
    """Write a record of exactly `candidates` candidates to `path`; return its sizes."""
    templates, rng = _templates(seed)
    plan: list[Template] = []
    total = 0
    while total < candidates:
        remaining = candidates - total
        template = templates[len(plan) % len(templates)]
        if len(template.candidates) > remaining:
            # the last position: a template of its own of the size left
            template = Template(TEMPLATES + len(plan), remaining, rng)
        plan.append(template)
        total += len(template.candidates)
    names = [s + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))) for s in SURNAMES for _ in range(40)]
    ballots: list[dict[str, list[str]]] = [{} for _ in range(PRESENT)]
    publicity, complaints, appointments, notices = [], [], [], []
    with path.open("w", encoding="utf-8") as out:
        out.write('{"format": "open-selection-round", "version": 1, "round": ')
        json.dump({"code": f"BENCH-{candidates}", "title": "2026年公开选拔副处级领导干部(全国规模基准)",
                   "cutoff_date": CUTOFF.isoformat(), "as_of": AS_OF, "settings": SETTINGS}, out, ensure_ascii=False)
        out.write(', "positions": ')
        json.dump([{"code": _code(k), "title": f"{UNITS[k % len(UNITS)]}{TITLES[k % len(TITLES)]}",
                    "unit": UNITS[k % len(UNITS)], "posts": t.posts, "requirements": t.requirements}
                   for k, t in enumerate(plan)], out, ensure_ascii=False)
        out.write(', "candidates": [')
        first = True
        for c in _candidates(plan, names, rng):
            out.write(("" if first else ",\n") + json.dumps(c, ensure_ascii=False))
            first = False
        out.write("]")
        start = 0
        for k, t in enumerate(plan):
            refs = {c["ref"]: _ref(start + j) for j, c in enumerate(t.candidates)}
            start += len(t.candidates)
            if t._noticed():
                notices.append({"position": _code(k), "published": "2026-08-20"})
            for ballot, part in zip(ballots, t.ballots):
                ballot[_code(k)] = [refs[r] for r in part]
            publicity += [{**p, "candidate": refs[p["candidate"]]} for p in t.publicity]
            complaints += [{**c, "candidate": refs[c["candidate"]]} for c in t.complaints]
            appointments += [{**a, "candidate": refs[a["candidate"]]} for a in t.appointments]
        rest = {"inspection_notices": notices,
                "committee": {"members": MEMBERS, "present": PRESENT, "ballots": ballots},
                "publicity": publicity, "complaints": complaints, "appointments": appointments}
        out.write(", " + json.dumps(rest, ensure_ascii=False)[1:])
    return {"candidates": total, "positions": len(plan), "bytes": path.stat().st_size}


def _code(k: int) -> str:
    return f"P{k + 1:05d}"


def _ref(index: int) -> str:
    return f"C{index + 1:07d}"


def _candidates(plan: list[Template], names: list[str], rng: random.Random) -> Iterator[dict[str, Any]]:
    index = 0
    copies: dict[int, int] = {}
    for k, t in enumerate(plan):
        copy = copies[id(t)] = copies.get(id(t), -1) + 1
        region = f"{110101 + copy:06d}"  # one region code per copy keeps every ID number distinct
        for c in t.candidates:
            yield _full(c, _code(k), _ref(index), region, rng.choice(names), rng.choice(UNITS), index + 1)
            index += 1
