"""Fixtures for the browser journeys: one Chromium per pytest worker, a fresh site per test.

The demo (`flask demo load`, clock at 2026-11-21) is loaded once per worker into a template
instance folder (SQLite file and keys); each test serves its own copy, so journeys never see
each other's clicks. Without Chromium (or Playwright) every journey is skipped, and the
terminal summary says so (tests/conftest.py); `.ci/run` installs Debian's chromium first.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.live_server import ROOT

try:
    from playwright.sync_api import Browser, sync_playwright

    from tests.browser.browsing import CHROMIUM, Site
except ImportError:  # the dev extras not installed: the journeys are skipped below
    CHROMIUM = None

#: the day the demo is loaded: DEMO-OPEN then takes registrations until 2026-12-05
DEMO_DAY = "2026-11-21"
FLASK = Path(sys.executable).parent / "flask"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if CHROMIUM is None:
        skip = pytest.mark.skip(reason="Chromium not installed (apt-get install chromium): browser journeys skipped")
        for item in items:
            if "tests/browser/" in item.nodeid:
                item.add_marker(skip)


#: docs/screens/README.md: each journey's screenshots under its heading, in the order taken
JOURNEYS = {
    "admin": "The organisation department sets up a round and takes it to publicity (组织部)",
    "appointment": "The organisation department appoints, and a year later records the final assessment (任职试用)",
    "candidate": "A candidate registers on a phone and follows the status to the end (考生)",
    "ballot": "A unit member casts a secret evaluation ballot from a token (工作表现考评)",
    "inspector": "An inspector enters and submits the records of one position (差额考察)",
    "committee": "A committee member votes from the briefing page (差额票决)",
    "complaint": "The public files a complaint, supervision concludes it (任前公示)",
}


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Under `make screens`, index the screenshots in docs/screens/README.md."""
    screens = os.environ.get("SELECTION_SCREENS")
    if not screens or not Path(screens).is_dir():
        return
    names = sorted({png.stem.rsplit("-", 1)[0] for png in Path(screens).glob("*.png")})
    lines = ["# Screens", "",
             "Every page the browser journeys (`tests/browser`) check, as `make screens` saved it: Debian's",
             "Chromium, at laptop size (1280 × 800) and phone size (390 × 844), the demo's clock as each",
             "journey sets it. Each page also passed axe-core's WCAG 2.1 A/AA rules and the Tab check.", ""]
    for prefix, title in JOURNEYS.items():
        mine = [name for name in names if name.split("-", 1)[0] == prefix]
        if mine:
            lines += [f"## {title}", "", "| page | laptop | phone |", "|---|---|---|"]
            lines += [f"| {name} | [laptop]({name}-laptop.png) | [phone]({name}-phone.png) |" for name in mine]
            lines.append("")
    (Path(screens) / "README.md").write_text("\n".join(lines), encoding="utf-8")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        # the system's binary: nothing is downloaded (no `playwright install`)
        chromium = playwright.chromium.launch(executable_path=CHROMIUM,
                                              args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                                                    "--lang=zh-CN"],
                                              # the browser's own words (file and date inputs) in Chinese,
                                              # where its language pack is installed (chromium-l10n)
                                              env={**os.environ, "LANGUAGE": "zh_CN:zh"})
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def demo_instance(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An instance folder (keys.json, selection.db) with the demo loaded on DEMO_DAY, made once per worker."""
    instance = tmp_path_factory.mktemp("browser-demo")
    environment = {**os.environ, "SELECTION_INSTANCE_PATH": str(instance), "SELECTION_TODAY": DEMO_DAY,
                   "DATABASE_URL": f"sqlite:///{instance / 'selection.db'}"}
    for command in (["db", "upgrade"], ["demo", "load"]):
        subprocess.run([str(FLASK), "--app", "selection", *command], cwd=ROOT, env=environment, check=True,
                       capture_output=True)
    return instance


@pytest.fixture
def demo_site(demo_instance: Path, tmp_path: Path, browser: Browser) -> Iterator[Callable[[str], Site]]:
    """`demo_site(day)`: a copy of the demo database served with the clock at `day`; closed after the test."""
    sites: list[Site] = []

    def serve(day: str = DEMO_DAY) -> Site:
        instance = tmp_path / "instance"
        shutil.copytree(demo_instance, instance)
        site = Site(instance / "selection.db", instance, day, browser)
        sites.append(site)
        return site

    yield serve
    for site in sites:
        site.close()
