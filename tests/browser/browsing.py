"""People at a real browser (issue 9): Debian's Chromium driven by Playwright, the app served by gunicorn.

A `Site` is the app served on a loopback port from a database of its own, its clock pinned
(``SELECTION_TODAY``); `Site.at` serves the same database on another day, so "a year later"
is a parameter, not the machine's clock. A `Person` is one browser context on one site: a
laptop (1280×800) or a phone (390×844, touch). Journeys click and type through Playwright's
locators by what a person reads (labels, button names, link text), never by CSS structure.

Every page a person `see`s is checked for the basics of accessibility: axe-core's WCAG 2.1 A
and AA rules (labels for inputs, contrast, names, a valid language), the language attribute
``zh-CN``, and every form control reachable with the Tab key. All along, every request must
stay on the site (no CDN, no font service) and the console must stay free of errors; both are
checked when the person leaves (`Person.close`). With ``SELECTION_SCREENS=<folder>`` (``make
screens``), every `see` also saves full-page screenshots there, at both screen sizes.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Download, Page, Request, expect

from tests.live_server import LiveServer, start_server

#: how long a click, a page or an expected text may take: in CI the journeys share two cores
#: with the rest of the suite (the fuzzers, twenty concurrent writers), so expect()'s own 5 s
#: is too short a wait for a page that a busy server is still rendering
WAIT_MS = 20_000
expect.set_options(timeout=WAIT_MS)

#: Debian's package (apt-get install chromium); CHROMIUM names another binary
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
SCREENS = os.environ.get("SELECTION_SCREENS")
LAPTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
#: axe-core's rule sets for WCAG 2.0 and 2.1, levels A and AA
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
_AXE = Axe()
#: what Chromium logs for any answer of 4xx or 5xx, also when a test provokes one on purpose: a page
#: refused (403), not found (404), or a form the app refuses and shows again with the reason (422)
_REFUSED = re.compile(r"Failed to load resource: the server responded with a status of (40[34]|422)")


@dataclass
class Site:
    """The app served by gunicorn from `database` (an SQLite file) with the clock at `today`."""

    database: Path
    instance: Path
    today: str
    browser: Browser
    servers: list[LiveServer] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)

    def __post_init__(self) -> None:
        # two workers: requests really are served by separate processes sharing the database
        self.server = start_server(f"sqlite:///{self.database}", self.instance, workers=2, threads=2,
                                   env={"SELECTION_TODAY": self.today})
        self.servers.append(self.server)
        self.url = self.server.url

    def at(self, today: str) -> Site:
        """The same database served on another day (the clock is a parameter of the server)."""
        return Site(self.database, self.instance, today, self.browser, self.servers, self.people)

    def laptop(self, who: str) -> Person:
        return self._person(who, "laptop", LAPTOP)

    def phone(self, who: str) -> Person:
        return self._person(who, "phone", PHONE)

    def _person(self, who: str, device: str, options: dict[str, Any]) -> Person:
        context = self.browser.new_context(**options, locale="zh-CN", timezone_id="Asia/Shanghai",
                                           accept_downloads=True)
        person = Person(who, device, self.url, context)
        self.people.append(person)
        return person

    def close(self) -> None:
        """Close every person's browser (checking what they saw) and stop every server."""
        try:
            for person in self.people:
                person.close()
        finally:
            for server in self.servers:
                server.stop()


class Person:
    """One person's browser on one site: a context with one page, watched for stray requests and errors."""

    def __init__(self, who: str, device: str, url: str, context: BrowserContext) -> None:
        self.who, self.device, self.url, self.context = who, device, url, context
        self.page = context.new_page()
        self.page.set_default_timeout(WAIT_MS)
        self.outside: list[str] = []
        self.errors: list[str] = []
        self._refusals_expected = False
        self._closed = False
        context.on("request", self._on_request)
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))

    # -------------------------------------------------------------- moving about

    def open(self, path: str) -> Page:
        """Type an address of the site into the address bar."""
        self.page.goto(self.url + path)
        return self.page

    def log_in(self, username: str, password: str) -> Page:
        """Log in through the login form, as the person would."""
        self.open("/login")
        self.page.get_by_label("用户名").fill(username)
        self.page.get_by_label("密码", exact=True).fill(password)
        self.page.get_by_role("button", name="登录").click()
        self.page.wait_for_load_state()
        return self.page

    def text(self, selector: str = "main") -> str:
        """What the page shows in `selector` (default the main content), whitespace folded."""
        return re.sub(r"\s+", " ", self.page.locator(selector).first.inner_text()).strip()

    def download(self, click: Any) -> bytes:
        """The bytes of the file that `click()` makes the browser download."""
        with self.page.expect_download() as event:
            click()
        download: Download = event.value
        return Path(download.path()).read_bytes()

    @contextmanager
    def expecting_refusal(self) -> Iterator[None]:
        """A 403, 404 or 422 provoked on purpose: Chromium's console line about it is not an error of the page."""
        self._refusals_expected = True
        try:
            yield
        finally:
            self._refusals_expected = False

    # -------------------------------------------------------------- what the person sees

    def see(self, name: str) -> Page:
        """Check the page as it stands for the basics of accessibility, and save its screenshot (make screens)."""
        check_accessibility(self.page)
        if SCREENS:
            # the person's own screen, then the other size too: every key page is seen on both
            folder = Path(SCREENS)
            folder.mkdir(parents=True, exist_ok=True)
            # the check's last Tab leaves a focus ring that the person would not see
            self.page.evaluate("() => document.activeElement?.blur()")
            own = self.page.viewport_size
            for device, options in (("laptop", LAPTOP), ("phone", PHONE)):
                self.page.set_viewport_size(options["viewport"])
                picture = folder / f"{name}-{device}.png"
                self.page.screenshot(path=str(picture), full_page=True, animations="disabled")
                shrink(picture)
            self.page.set_viewport_size(own)
        return self.page

    def close(self) -> None:
        """Leave: nothing may have been loaded from outside the site, and the console must be clean."""
        if self._closed:
            return
        self._closed = True
        self.context.close()
        assert not self.outside, f"{self.who} ({self.device}) loaded from outside the app: {self.outside}"
        assert not self.errors, f"console errors for {self.who} ({self.device}): {self.errors}"

    def _on_request(self, request: Request) -> None:
        if not (request.url.startswith(self.url + "/") or request.url.startswith(("data:", "blob:"))):
            self.outside.append(request.url)

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        if self._refusals_expected and _REFUSED.search(message.text):
            return
        self.errors.append(f"{self.page.url}: {message.text}")


def shrink(picture: Path) -> None:
    """Keep docs/screens small in git: a page of text and flat colours loses nothing to 64 colours (a third the bytes)."""
    with Image.open(picture) as image:
        reduced = image.convert("RGB").quantize(colors=64, method=Image.Quantize.MEDIANCUT)
    reduced.save(picture, optimize=True)


# ---------------------------------------------------------------- the accessibility basics


def check_accessibility(page: Page) -> None:
    """axe-core's WCAG 2.1 A/AA rules, ``lang="zh-CN"``, and every form control reachable with Tab."""
    lang = page.evaluate("document.documentElement.lang")
    assert lang == "zh-CN", f"{page.url}: <html lang={lang!r}>, not zh-CN"
    result = _AXE.run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    violations = [f"{v['id']} ({v['help']}): " + "; ".join(" ".join(n["target"]) for n in v["nodes"][:5])
                  for v in result.response["violations"]]
    assert not violations, f"{page.url}: accessibility violations:\n" + "\n".join(violations)
    unreachable = controls_not_reached_by_tab(page)
    assert not unreachable, f"{page.url}: form controls the Tab key never reaches: {unreachable}"


_MARK_CONTROLS = """() => {
  // checkVisibility: a control inside a closed <details> is laid out, yet not shown until it is opened
  const visible = (el) => !el.disabled && el.getClientRects().length > 0
    && getComputedStyle(el).visibility !== 'hidden' && el.checkVisibility();
  const controls = [...document.querySelectorAll(
    'input:not([type=hidden]), select, textarea, button, [contenteditable=true]')].filter(visible);
  // a group of radio buttons is one stop for Tab (the arrows move inside it)
  const keys = new Set();
  controls.forEach((el, i) => {
    const key = el.type === 'radio' ? `radio:${el.form ? el.form.id || 'f' : ''}:${el.name}` : `control:${i}`;
    el.dataset.keyboardKey = key;
    keys.add(key);
  });
  const focusable = document.querySelectorAll('a[href], input, select, textarea, button, [tabindex]').length;
  // Tab starts from the top of the page, wherever the person last typed or clicked: blur() alone
  // leaves Chromium's starting point of sequential focus navigation at the element last focused
  const start = document.createElement('span');
  start.id = 'tab-start-marker';
  start.tabIndex = -1;
  document.body.prepend(start);
  start.focus();
  window.scrollTo(0, 0);
  return {keys: [...keys], focusable: focusable};
}"""
_FOCUSED = "() => { const el = document.activeElement; return el && el !== document.body ? (el.dataset.keyboardKey || '·') : null; }"


def controls_not_reached_by_tab(page: Page) -> list[str]:
    """The form controls (by label or name) that pressing Tab through the page never focuses."""
    marked = page.evaluate(_MARK_CONTROLS)
    wanted = set(marked["keys"])
    try:
        reached = _reached_by_tab(page, wanted, marked["focusable"])
    finally:
        page.evaluate("() => document.getElementById('tab-start-marker')?.remove()")
    if wanted <= reached:
        return []
    missing = wanted - reached
    return page.evaluate("""(keys) => keys.map((key) => {
      const el = document.querySelector(`[data-keyboard-key="${CSS.escape(key)}"]`);
      const label = el.labels && el.labels.length ? el.labels[0].innerText : '';
      return (label || el.getAttribute('aria-label') || el.name || el.innerText || el.outerHTML).trim().slice(0, 60);
    })""", sorted(missing))


def _reached_by_tab(page: Page, wanted: set[str], focusable: int) -> set[str]:
    """The keys of the controls focused by pressing Tab from the top, until all `wanted` are or the page is left."""
    reached: set[str] = set()
    if not wanted:
        return reached
    # a date, time or datetime input takes one Tab per part (year, month, day, hour, minute …)
    for _ in range(4 * focusable + 2):
        page.keyboard.press("Tab")
        key = page.evaluate(_FOCUSED)
        if key is None and reached:
            break  # back out of the page: the whole cycle is done
        reached.add(key or "")
        if wanted <= reached:
            break
    return reached
