"""Regenerate docs/report.png and docs/report-dossier.png from the sample report.

Run from the repository root: python docs/screenshot.py  (needs Debian's chromium on PATH).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from report_samples import seed  # noqa: E402

from tracker.publish.report import write_report  # noqa: E402


def screenshot(page: Path, target: Path, height: int, profile: Path) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        raise SystemExit("chromium not found on PATH: install Debian's chromium package")
    subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            f"--screenshot={target}",
            f"--window-size=1280,{height}",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    print(f"wrote {target.relative_to(ROOT)}")


def main() -> None:
    records, dossiers = seed()
    with tempfile.TemporaryDirectory() as work:
        out = Path(work) / "report"
        written = write_report(
            out, records, dossiers, generated_at="2026-03-02T08:00:00Z", title="Status page edits"
        )
        (cloudflare,) = [path for path in written if path.name.startswith("cloudflare-")]
        profile = Path(work) / "profile"
        screenshot(written[0], ROOT / "docs" / "report.png", 1500, profile)
        screenshot(cloudflare, ROOT / "docs" / "report-dossier.png", 2000, profile)


if __name__ == "__main__":
    main()
