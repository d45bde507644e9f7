"""The hostile report rendered by a real browser: nothing runs, payloads stay text."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from report_samples import hostile_seed, seed

from tracker.publish.report import write_report

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).parent / "artifacts"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--hide-scrollbars",
)


def chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip(
        "chromium not found on PATH: install Debian's chromium package to run the browser test"
    )


def run_chromium(binary: str, profile: Path, *args: str) -> str:
    result = subprocess.run(
        [binary, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@pytest.fixture(scope="module")
def hostile_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    records, dossiers = hostile_seed()
    # The 1 MB text is covered by the parser tests; a browser dump of it would only be slow.
    records, dossiers = records[:-1], dossiers[:-1]
    target = tmp_path_factory.mktemp("browser") / "hostile.html"
    write_report(target, records, dossiers, generated_at="2026-03-02T08:00:00Z")
    return target


def test_browser_runs_nothing_from_hostile_text(hostile_page, tmp_path):
    binary = chromium()
    dom = run_chromium(binary, tmp_path / "profile", "--dump-dom", hostile_page.as_uri())
    soup = BeautifulSoup(dom, "html.parser")
    assert soup.title.string == "status-tracker report"
    assert not soup.find_all(["script", "img", "svg", "iframe", "object", "embed"])
    for tag in soup.find_all(True):
        assert not [name for name in tag.attrs if name.lower().startswith("on")], tag.name
    text = soup.get_text()
    for payload in (
        "<script>alert(1)</script>",
        '"><img src=x onerror=alert(1)>',
        "</title><script>alert(document.domain)</script>",
        "</style><script>alert(2)</script>",
        "<!-- comment --><svg onload=alert(5)>",
        "javascript:alert(1)",
    ):
        assert payload in text, payload
    assert soup.find(class_="hidden-char", string="RLO") is not None


def test_browser_screenshot_of_hostile_report(hostile_page, tmp_path):
    binary = chromium()
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "hostile-report.png"
    shot.unlink(missing_ok=True)
    run_chromium(
        binary,
        tmp_path / "profile",
        f"--screenshot={shot}",
        "--window-size=1280,1600",
        hostile_page.as_uri(),
    )
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1280, 1600)
    # A blank page compresses to a few kilobytes; the rendered report does not.
    assert len(data) > 20_000, len(data)


def test_browser_renders_seed_dossier_with_diff_marks(tmp_path):
    binary = chromium()
    records, dossiers = seed()
    written = write_report(tmp_path / "report", records, dossiers, generated_at="2026-03-02")
    (apple,) = [path for path in written if path.name.startswith("apple-")]
    dom = run_chromium(binary, tmp_path / "profile", "--dump-dom", apple.as_uri())
    soup = BeautifulSoup(dom, "html.parser")
    assert soup.find("del", class_="diff-del").string == "30 percent of"
    assert soup.find("ins", class_="diff-ins").string == "some"
