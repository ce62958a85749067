"""The page's scripts write two helpline numbers themselves (for when the server cannot answer,
or the widget cannot open): they must be the numbers the content check covers in
``bot.knowledge.helplines``, so a change there cannot leave the scripts behind."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.knowledge import helplines

STATIC = Path(__file__).resolve().parents[2] / "bot" / "gateway" / "static"
#: A UK phone number as the scripts write it (999, 0800 1111, 116 123...).
NUMBER = re.compile(r"(?<![\d.])(?:999|116 ?\d{3}|0\d{3,4} ?\d{3,4}(?: ?\d{3,4})?)(?![\d.])")


@pytest.mark.parametrize("script", ["chat.js", "widget.js"])
def test_every_number_a_script_writes_is_a_helpline_we_cite(script: str) -> None:
    text = (STATIC / script).read_text(encoding="utf-8")
    written = {match.group(0) for match in NUMBER.finditer(text) if not match.group(0).isdigit() or match.group(0) == "999"}
    assert written, f"{script} should still give a number to call when nothing else works"
    cited = {helplines.EMERGENCY, helplines.CHILDLINE}
    assert written <= cited, f"{script} writes {sorted(written - cited)}, which bot.knowledge.helplines does not cite"


def test_the_widgets_tel_links_dial_the_numbers_it_shows() -> None:
    text = (STATIC / "widget.js").read_text(encoding="utf-8")
    for shown, dialled in re.findall(r'link\(p, "([^"]+)", "tel:([^"]+)"\)', text):
        assert shown.replace(" ", "") == dialled
