"""The built documentation renders in a real browser: pages, theme, images, no script errors.

Needs a built site (``make docs``) and Debian's ``chromium``; skipped without either. The gallery
examples themselves are executed by ``tests/test_examples.py``.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

SITE = Path(__file__).resolve().parent.parent / "docs" / "_build" / "html"
PAGES = [
    "index.html",
    "generated/gansynth.TabularGAN.html",
    "auto_examples/plot_downstream_benchmark.html",  # executed in every build
    "auto_examples/plot_evaluation_report.html",  # executed unless GANSYNTH_DOCS_EXAMPLES=fast
]

# Injected first in <head>: records script errors, console errors and resources that fail to load,
# then, once the page has loaded, writes them and the state of every <img> into the DOM, which
# chromium's --dump-dom prints.
_PROBE = """<script>
window.__problems = [];
window.addEventListener("error", function (event) {
  var target = event.target || {};
  window.__problems.push(target.src || target.href
    ? "failed to load " + (target.src || target.href) : "script error: " + event.message);
}, true);
var originalError = console.error;
console.error = function () {
  window.__problems.push("console.error: " + Array.prototype.join.call(arguments, " "));
  originalError.apply(console, arguments);
};
window.addEventListener("load", function () {
  setTimeout(function () {
    var images = Array.prototype.map.call(document.images, function (image) {
      return {src: image.currentSrc || image.src, ok: image.complete && image.naturalWidth > 0};
    });
    var navbar = document.querySelector(".bd-header");
    var themeColour = getComputedStyle(document.documentElement).getPropertyValue("--pst-color-primary");
    var result = {problems: window.__problems, images: images,
                  styled: !!navbar && navbar.getBoundingClientRect().height > 20 && themeColour.trim() !== "",
                  title: document.title};
    var node = document.createElement("pre");
    node.id = "render-check";
    node.textContent = JSON.stringify(result);
    document.body.appendChild(node);
  }, 500);
});
</script>"""


def chromium():
    return shutil.which("chromium") or shutil.which("chromium-browser")


pytestmark = [
    pytest.mark.skipif(chromium() is None, reason="chromium is not installed"),
    pytest.mark.skipif(not (SITE / "index.html").exists(), reason="the docs are not built (make docs)"),
]


def chromium_command(profile, *arguments):
    return [
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        *arguments,
    ]


def render(page, tmp_path):
    """Load a copy of ``page`` carrying the probe (its <base> keeps relative links working)."""
    source = SITE / page
    text = source.read_text(encoding="utf-8")
    base = f'<base href="{source.parent.as_uri()}/">'
    probed = tmp_path / "probed.html"
    probed.write_text(text.replace("<head>", "<head>" + base + _PROBE, 1), encoding="utf-8")
    command = chromium_command(
        tmp_path / "profile", "--allow-file-access-from-files", "--virtual-time-budget=10000", "--dump-dom"
    )
    done = subprocess.run(command + [probed.as_uri()], capture_output=True, text=True, timeout=120)
    match = re.search(r'<pre id="render-check">(.*?)</pre>', done.stdout, re.S)
    assert match, f"no render result for {page}: {done.stderr[-2000:]}"
    return json.loads(match.group(1).replace("&quot;", '"').replace("&amp;", "&"))


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_with_its_images_and_no_errors(page, tmp_path):
    result = render(page, tmp_path)
    assert result["problems"] == []
    assert result["styled"], "the theme's style sheet or navigation bar did not load"
    assert "gansynth" in result["title"]
    broken = [image["src"] for image in result["images"] if not image["ok"]]
    assert broken == []
    if page == "auto_examples/plot_downstream_benchmark.html":
        assert sum("sphx_glr" in image["src"] for image in result["images"]) >= 2  # its executed plots


def test_index_screenshot_is_drawn(tmp_path):
    shot = tmp_path / "index.png"
    command = chromium_command(
        tmp_path / "profile", "--hide-scrollbars", "--window-size=1280,900", f"--screenshot={shot}"
    )
    subprocess.run(command + [(SITE / "index.html").as_uri()], capture_output=True, timeout=120, check=True)
    from PIL import Image

    pixels = Image.open(shot).convert("L")
    assert pixels.size == (1280, 900)
    low, high = pixels.getextrema()
    assert high - low > 100  # not a blank page
