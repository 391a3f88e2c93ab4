"""Screenshots of the built site for docs/_static/screenshots/: the index, an API page, an example.

Run after ``make docs``, with Debian's ``chromium``: ``python docs/take_screenshots.py``. The PNGs
are saved without colour reduction: a reduced palette recolours the report's small status dots.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

DOCS = Path(__file__).resolve().parent
SITE = DOCS / "_build" / "html"
OUT = DOCS / "_static" / "screenshots"
# name: (page, window height); the example's is tall enough to show the report table.
PAGES = {
    "index.png": ("index.html", 1200),
    "api_tabulargan.png": ("generated/gansynth.TabularGAN.html", 1400),
    "example_evaluation_report.png": ("auto_examples/plot_evaluation_report.html", 2400),
}


def main() -> int:
    browser = shutil.which("chromium")
    if browser is None or not (SITE / "index.html").exists():
        print("needs chromium and a built site (make docs)", file=sys.stderr)
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    for name, (page, height) in PAGES.items():
        with tempfile.TemporaryDirectory() as profile:
            shot = Path(profile) / "shot.png"
            command = [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                f"--user-data-dir={profile}",
                "--hide-scrollbars",
                f"--window-size=1280,{height}",
                "--virtual-time-budget=5000",
                f"--screenshot={shot}",
                (SITE / page).as_uri(),
            ]
            subprocess.run(command, check=True, capture_output=True, timeout=120)
            Image.open(shot).convert("RGB").save(OUT / name, optimize=True)
        print(OUT / name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
