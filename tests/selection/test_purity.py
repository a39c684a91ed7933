"""The rule engine stays pure (STYLE.md §3): no Flask, no database, no clock."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PURE_MODULES = [
    "selection/rules.py", "selection/pipeline.py", "exams/rules.py", "vetting/rules.py", "publicity/rules.py",
    "selection/record/model.py", "selection/record/parse.py", "selection/record/engine.py",
    "selection/record/dump.py", "selection/record/stages.py", "selection/record/dashboard.py", "selection/spreadsheets.py",
    "selection/charts.py", "exams/candidate_rules.py", "publicity/calendar_rules.py",
    "exams/seating.py", "exams/score_rules.py", "vetting/ballot_rules.py",
]
FORBIDDEN_IMPORTS = ("flask", "flask_", "sqlalchemy", "selection.extensions", "selection.models",
                     "selection.services", "selection.audit", "selection.crypto")
CLOCK_CALLS = {("date", "today"), ("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"),
               ("time", "time")}


def _imports(tree: ast.AST) -> list[str]:
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


@pytest.mark.parametrize("path", PURE_MODULES)
def test_rule_module_imports_no_flask_or_database(path: str) -> None:
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))

    impure = [name for name in _imports(tree)
              if any(name == f or name.startswith(f if f.endswith("_") else f + ".") for f in FORBIDDEN_IMPORTS)
              or name.startswith("models") or name.endswith(".models")]

    assert impure == []


@pytest.mark.parametrize("path", PURE_MODULES)
def test_rule_module_never_reads_the_clock(path: str) -> None:
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))

    calls = [(node.func.value.id, node.func.attr) for node in ast.walk(tree)
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
             and isinstance(node.func.value, ast.Name)]

    assert [call for call in calls if call in CLOCK_CALLS] == []


@pytest.mark.parametrize("term", ["单位把关", "公开推荐", "资格审查", "工作表现考评", "工作业绩打分", "差额考察",
                                  "差额票决", "任前公示", "任职试用", "依次递补", "一票否决"])
def test_every_rule_is_found_by_its_chinese_name(term: str) -> None:
    assert any(term in (ROOT / path).read_text(encoding="utf-8") for path in PURE_MODULES)
