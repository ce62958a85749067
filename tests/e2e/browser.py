"""Helpers for the browser tests: Debian's Chromium through Playwright, axe-core, contrast, artifacts.

Playwright (PyPI) drives the system Chromium at /usr/bin/chromium (installed by
``scripts/ensure-chromium``); ``playwright install`` is never used.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("CARECHAT_CHROMIUM", "/usr/bin/chromium"))
# This network is closed: without these Chromium keeps trying to reach Google's services.
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

VENDOR = Path(__file__).resolve().parent / "vendor"
AXE_JS = VENDOR / "axe.min.js"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"
AXE_BLOCKING = ("serious", "critical")

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}


def artifacts_dir() -> Path:
    """Where screenshots and axe results go: $CARECHAT_ARTIFACTS_DIR, else var/artifacts/browser."""
    configured = os.environ.get("CARECHAT_ARTIFACTS_DIR")
    folder = Path(configured) if configured else ROOT / "var" / "artifacts"
    folder = folder / "browser"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def axe_source() -> str:
    """The vendored axe-core, refusing a copy that is not the pinned one."""
    data = AXE_JS.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != AXE_SHA256:
        raise AssertionError(f"{AXE_JS} is not the pinned axe-core (sha256 {digest}); see tests/e2e/vendor/README.md")
    return data.decode("utf-8")


def run_axe(page: Any, name: str) -> dict:
    """Run axe-core on the page as it is now; write the full results to the artifacts folder.

    axe is evaluated through the DevTools protocol, so the page's own CSP (script-src 'self')
    stays on: the page is tested exactly as users get it.
    """
    # From the top, so the sticky header overlaps nothing (else axe cannot judge some contrast).
    page.evaluate("() => window.scrollTo(0, 0)")
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source() + "\n;void 0")
    results = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ['violations', 'incomplete', 'passes']});
            return JSON.parse(JSON.stringify(r));
        }"""
    )
    (artifacts_dir() / f"axe-{name}.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    return results


def violations_by_impact(results: dict) -> dict[str, list[str]]:
    """{impact: [rule id, ...]} for the violations axe found."""
    found: dict[str, list[str]] = {}
    for violation in results.get("violations", []):
        found.setdefault(violation.get("impact") or "unknown", []).append(violation["id"])
    return found


def screenshot(page: Any, name: str) -> Path:
    path = artifacts_dir() / f"{name}.png"
    # From the top, so the sticky header is drawn where it belongs in a full-page capture.
    page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=str(path), full_page=True)
    return path


# ---- colour contrast (WCAG 2.2: 1.4.3 text 4.5:1, large text 3:1; 1.4.11 non-text 3:1) ----

def parse_colour(value: str) -> tuple[float, float, float, float]:
    """'rgb(1, 2, 3)' / 'rgba(1, 2, 3, 0.5)' -> (r, g, b, alpha)."""
    match = re.match(r"rgba?\(([^)]+)\)", value.strip())
    if not match:
        raise ValueError(f"not an rgb colour: {value!r}")
    parts = [float(p) for p in re.split(r"[,\s/]+", match.group(1).strip()) if p]
    alpha = parts[3] if len(parts) > 3 else 1.0
    return parts[0], parts[1], parts[2], alpha


def _channel(c: float) -> float:
    c = c / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(rgb: tuple[float, ...]) -> float:
    r, g, b = rgb[:3]
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


# Every visible element with its own text: its colour, the first opaque background behind it,
# and whether it counts as large text.
TEXT_COLOURS_JS = """() => {
  const out = [];
  const background = (el) => {
    for (let node = el; node; node = node.parentElement) {
      const bg = getComputedStyle(node).backgroundColor;
      const m = bg.match(/rgba?\\(([^)]+)\\)/);
      if (m) {
        const parts = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
        if (parts.length < 4 || parts[3] === 1) return bg;
      }
    }
    return 'rgb(255, 255, 255)';
  };
  for (const el of document.body.querySelectorAll('*')) {
    const own = Array.from(el.childNodes).some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    if (style.visibility === 'hidden' || style.display === 'none' || box.width <= 1 || box.height <= 1) continue;
    if (el.closest('[hidden]') || el.closest('.visually-hidden')) continue;
    const size = parseFloat(style.fontSize);
    const bold = parseInt(style.fontWeight, 10) >= 700;
    out.push({
      text: el.textContent.trim().slice(0, 40),
      tag: el.tagName.toLowerCase(),
      color: style.color,
      background: background(el),
      large: size >= 24 || (bold && size >= 18.66),
    });
  }
  return out;
}"""


def low_contrast_text(page: Any) -> list[str]:
    """Descriptions of visible text below WCAG 2.2 AA contrast (empty when all pass)."""
    failures = []
    for item in page.evaluate(TEXT_COLOURS_JS):
        ratio = contrast(parse_colour(item["color"]), parse_colour(item["background"]))
        needed = 3.0 if item["large"] else 4.5
        if ratio < needed:
            failures.append(f"{item['tag']} {item['text']!r}: {ratio:.2f} < {needed} "
                            f"({item['color']} on {item['background']})")
    return failures
