"""What every benchmark reports, and how `make bench` writes them into docs/performance.md.

Each figure is a ratio to the stack's own limit measured in the same run (a hello-world
route of the same app and server, a bare insert, openpyxl's parse alone, `json.load`, the
PDF library's own page rate), so it holds on a noisy machine where absolute numbers do not.

A benchmark module (benchmarks/bench_*.py) has `run(scale: float) -> Section`: `scale` 1.0 is
the size the issue names; smaller scales are for a quick look (`make bench SCALE=0.1`).
It prints its figures as it goes and returns them; `benchmarks/run.py` gathers the
sections and writes the document. Not part of `make test`: timings never fail a test.
"""

from __future__ import annotations

import os
import platform
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Figure:
    """One measurement against its baseline, e.g. the status page against hello-world."""

    #: what was measured, e.g. "status page /me, SQLite"
    name: str
    #: the measurement and the baseline it is compared with, in `unit` ("req/s", "rows/s", "s")
    value: float
    baseline: float
    unit: str
    #: what the baseline is, e.g. "hello-world route, same app and server"
    baseline_name: str
    #: "higher" when more is better (a rate), "lower" when less is (a duration)
    better: str = "higher"
    #: the target as a ratio: a rate at least `target` of the baseline's, or a duration at most
    #: `target` times the baseline's; None when the figure has no target (shown for context)
    target: float | None = None
    #: anything a reader needs beside the numbers: p50/p99, memory, the profile's finding
    detail: str = ""

    @property
    def ratio(self) -> float:
        return self.value / self.baseline if self.baseline else float("inf")

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        return self.ratio >= self.target if self.better == "higher" else self.ratio <= self.target

    def row(self) -> str:
        target = "—" if self.target is None else (
            f"≥ {self.target:.0%}" if self.better == "higher" else f"≤ {self.target:g}×")
        ratio = f"{self.ratio:.0%}" if self.better == "higher" else f"{self.ratio:.2f}×"
        verdict = {True: "met", False: "**not met**", None: ""}[self.met]
        return (f"| {self.name} | {_number(self.value)} {self.unit} | {self.baseline_name}: "
                f"{_number(self.baseline)} {self.unit} | {ratio} | {target} | {verdict} | {self.detail} |")


@dataclass(frozen=True)
class Growth:
    """The same measurement at growing sizes: linear growth keeps cost per item flat."""

    name: str
    #: (size, seconds) pairs, smallest first
    points: tuple[tuple[int, float], ...]
    #: what one item is ("candidate", "row", "ticket")
    item: str

    def rows(self) -> list[str]:
        first_size, first_seconds = self.points[0]
        per_first = first_seconds / first_size
        return [f"| {self.name} | {size:,} | {seconds:.3f} s | {seconds / size * 1e6:.1f} µs | "
                f"{(seconds / size) / per_first:.2f} |" for size, seconds in self.points]


@dataclass
class Section:
    """One benchmark's part of docs/performance.md."""

    title: str
    #: how to run it alone and what it builds, in Markdown
    method: str
    figures: list[Figure] = field(default_factory=list)
    growth: list[Growth] = field(default_factory=list)
    #: what the figures mean: where the time goes, what was fixed, what stands in the way
    notes: str = ""

    def markdown(self) -> str:
        parts = [f"## {self.title}", "", self.method.strip(), ""]
        if self.figures:
            parts += ["| measured | value | baseline (same run) | ratio | target | | detail |",
                      "|---|---|---|---|---|---|---|", *(f.row() for f in self.figures), ""]
        if self.growth:
            parts += ["| growth | size | time | per item | per item vs smallest |", "|---|---|---|---|---|",
                      *(row for g in self.growth for row in g.rows()), ""]
        if self.notes.strip():
            parts += [self.notes.strip(), ""]
        return "\n".join(parts)


@contextmanager
def throwaway_postgres(prefix: str) -> Iterator[str | None]:
    """A new PostgreSQL database's URL (psycopg driver), dropped afterwards; None when no server answers.

    The server is TEST_DATABASE_URL's, else postgres@127.0.0.1:5432, as for the tests.
    """
    import secrets

    import psycopg
    from sqlalchemy.engine import make_url

    raw = os.environ.get("TEST_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/postgres"
    server = make_url(raw).set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        psycopg.connect(server, connect_timeout=2).close()
    except psycopg.Error:
        print(f"PostgreSQL at {make_url(server).host}:{make_url(server).port}: not reachable; skipped", flush=True)
        yield None
        return
    name = f"{prefix}_{secrets.token_hex(4)}"
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(server).set(drivername="postgresql+psycopg", database=name).render_as_string(
            hide_password=False)
    finally:
        with psycopg.connect(server, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def machine() -> str:
    """The machine and software the figures were measured on, in one sentence."""
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    memory = next((int(line.split()[1]) // 1024 // 1024 for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), 0) if Path("/proc/meminfo").exists() else 0
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    return (f"{os.cpu_count()} cores ({cpu}), {memory} GiB, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}; load average at the start {load}")


def commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _number(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:,.3g}"


# ---------------------------------------------------------------- one module's command line


def main(run: Callable[[float], Section]) -> None:
    """A benchmark module's `__main__`: `--scale` (default 1.0) and `--json FILE` for benchmarks/run.py."""
    import argparse
    import json
    from dataclasses import asdict

    parser = argparse.ArgumentParser(description=(run.__module__ or "").strip())
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 is the size the issue names")
    parser.add_argument("--json", type=Path, help="write the section here (benchmarks/run.py reads it)")
    args = parser.parse_args()
    section = run(args.scale)
    print(section.markdown())
    if args.json:
        args.json.write_text(json.dumps(asdict(section), ensure_ascii=False))


def load_section(data: dict) -> Section:  # type: ignore[type-arg]
    return Section(title=data["title"], method=data["method"], notes=data["notes"],
                   figures=[Figure(**f) for f in data["figures"]],
                   growth=[Growth(g["name"], tuple(tuple(p) for p in g["points"]), g["item"])  # type: ignore[misc]
                           for g in data["growth"]])
