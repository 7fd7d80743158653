"""The exercise page in headless Chromium, against a real ``planner serve`` process.

Few tests, each a whole scene: Japan's team moves and the map and burden table change in
its browser and, through polling, in Korea's; a bad value shows a message and leaves the
plan alone; the server is killed and restarted and play resumes; a hostile description
stays text. Screenshots go to tests/artifacts/ for a person to look at.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO, write_mission

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "tests" / "artifacts"
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium: the "
                                "browser tests of the exercise page need it (CI installs it)")


class Server:
    """``planner serve`` on a free port, as a user starts it."""

    def __init__(self, mission: str, folder: Path, cwd: Path) -> None:
        script = Path(sys.executable).with_name("planner")
        self.errors = cwd / "serve.err"
        with self.errors.open("a") as errors:
            self.process = subprocess.Popen(
                [str(script), "serve", mission, "--port", "0", "--folder", str(folder)],
                cwd=cwd, stdout=subprocess.PIPE, stderr=errors, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:\d+/", line)
        if not found:
            self.stop()
            pytest.fail(f"planner serve did not start: {line}{self.errors.read_text()}")
        self.url = found.group(0)
        self.line = line

    def kill(self) -> None:
        """As a crash would: no chance to tidy up."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self.close()

    def close(self) -> None:
        if self.process.stdout is not None:
            self.process.stdout.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"])
        yield chromium
        chromium.close()


def shares(page: Any, region: str) -> dict[str, str]:
    """Each country's part of a region's bar on the map, as the page draws it."""
    parts = page.locator(f'#map g[data-region="{region}"] rect.part')
    return {parts.nth(i).get_attribute("data-country"): parts.nth(i).get_attribute(
        "data-share") for i in range(parts.count())}


def burden(page: Any) -> list[str]:
    return page.locator("#burden td.share").all_inner_texts()


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def test_two_teams_play_see_each_other_and_a_bad_value_changes_nothing(
        browser: Any, tmp_path: Path) -> None:
    server = Server("taiwan-contingency", tmp_path / "ex", tmp_path)
    requests: list[str] = []
    try:
        japan = browser.new_context().new_page()
        korea = browser.new_context().new_page()
        japan.on("request", lambda r: requests.append(r.url))
        japan.goto(server.url + "team/JPN")
        korea.goto(server.url + "team/KOR")
        map_before, burden_before = shares(japan, "east_china_sea"), burden(japan)
        assert map_before and burden_before

        row = japan.locator('#pools tr[data-pool="p1_patrol_aircraft"]')
        row.locator('input[name="quantity"]').fill("0")
        row.locator("button").click()
        japan.locator(".message.ok").wait_for()
        assert "Move 1: JPN p1_patrol_aircraft: quantity 0." in japan.locator(
            ".message.ok").inner_text()
        assert shares(japan, "east_china_sea") != map_before
        assert burden(japan) != burden_before
        assert re.search(r"last solve \d+ ms", japan.locator("#timing").inner_text())
        shot(japan, "exercise-japan-after-move.png")

        # Korea's browser sees Japan's move by polling, within a second or so.
        korea.locator('#exercise[data-head="1"]').wait_for(timeout=3000)
        assert burden(korea) == burden(japan)
        assert korea.locator('#log tr[data-move="1"]').inner_text().startswith("1")

        # A bad value from Korea: a message, and the plan stays as it was in both browsers.
        objective = korea.locator("#objective").inner_text()
        row = korea.locator('#pools tr[data-pool="kc330_tanker"]')
        row.locator('input[name="readiness"]').fill("2")
        row.locator("button").click()
        korea.locator(".message.error").wait_for()
        assert "kc330_tanker readiness: Input should be less than or equal to 1" in (
            korea.locator(".message.error").inner_text())
        assert korea.locator("#exercise").get_attribute("data-head") == "1"
        assert korea.locator("#objective").inner_text() == objective
        shot(korea, "exercise-korea-bad-value.png")
        japan.wait_for_timeout(800)
        assert japan.locator("#objective").inner_text() == objective
        assert not japan.locator('#log tr[data-move="2"]').count()

        # Korea decides a flag; Japan sees it and undoes back to the start.
        korea.locator('form[data-flag="korea_dispatch_consent"] select').select_option("yes")
        korea.locator('form[data-flag="korea_dispatch_consent"] button').click()
        korea.locator('#exercise[data-head="2"]').wait_for()
        japan.locator('#exercise[data-head="2"]').wait_for(timeout=3000)
        japan.get_by_role("button", name="undo").click()
        korea.locator('#exercise[data-head="1"]').wait_for(timeout=3000)
        shot(korea, "exercise-korea-after-undo.png")
    finally:
        server.stop()
    assert all(url.startswith(server.url) for url in requests), requests


def test_a_killed_server_resumes_and_hostile_text_stays_text(browser: Any,
                                                             tmp_path: Path) -> None:
    hostile = '<img src=x onerror="document.title=\'pwned\'">&<b>bold</b>'
    missions = tmp_path / "missions"
    missions.mkdir()
    for name in ("baseline.yaml",):
        (missions / name).write_text((REPO / "missions" / name).read_text())
    write_mission(missions / "hostile.yaml", name="hostile", extends="baseline",
                  description=hostile)
    folder = tmp_path / "ex"
    server = Server("hostile", folder, tmp_path)
    try:
        page = browser.new_page()
        page.goto(server.url + "team/USA")
        assert page.locator("#description").inner_text() == hostile
        assert page.title() != "pwned" and not page.locator("#description b").count()
        row = page.locator("#pools tbody tr").first
        row.locator('input[name="quantity"]').fill("0")
        row.locator("button").click()
        page.locator('#exercise[data-head="1"]').wait_for()
        objective = page.locator("#objective").inner_text()
        server.kill()

        server = Server("hostile", folder, tmp_path)
        assert "1 moves, play at move 1" in server.line
        page.goto(server.url + "facilitator")
        assert page.locator("#exercise").get_attribute("data-head") == "1"
        assert page.locator("#objective").inner_text() == objective
        assert page.locator('#log tr[data-move="1"]').count() == 1
        shot(page, "exercise-facilitator-resumed.png")
    finally:
        server.stop()
    assert os.path.exists(folder / "exercise.json")
