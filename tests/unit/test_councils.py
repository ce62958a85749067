"""Council profiles: local facts load faithfully and schema mistakes are reported, not hidden."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.knowledge.councils import load_councils, parse_council
from bot.settings import DEFAULT_COUNCIL, PROJECT_ROOT

CONTENT = PROJECT_ROOT / "content"


@pytest.fixture(scope="module")
def councils():
    return load_councils(CONTENT)


def test_the_four_councils_load_and_the_default_is_one_of_them(councils):
    assert set(councils) == {"north_yorkshire", "calderdale", "north_somerset", "durham"}
    assert DEFAULT_COUNCIL in councils
    assert all(profile.problems == () for profile in councils.values())


def test_only_north_yorkshire_has_a_contact_and_it_comes_from_its_own_document(councils):
    ny = councils["north_yorkshire"].children_services
    assert ny is not None and ny.phone == "01609 780 780"
    assert ny.source in councils["north_yorkshire"].documents
    for council_id in ("calderdale", "north_somerset", "durham"):
        assert councils[council_id].contacts == {}


def test_no_council_claims_an_out_of_hours_number(councils):
    assert all(profile.out_of_hours is None for profile in councils.values())


def test_review_timetables_follow_each_councils_document(councils):
    cal = councils["calderdale"].review_timetable
    assert (cal.second_review_after_first_days, cal.second_review_after_first_months) == (84, None)
    ny = councils["north_yorkshire"].review_timetable
    assert (ny.second_review_after_first_days, ny.second_review_after_first_months) == (None, 3)
    assert ny.stated_by_council and ny.source == "nycc_permanency_strategy_2022"
    for silent in ("north_somerset", "durham"):
        timing = councils[silent].review_timetable
        assert not timing.stated_by_council
        assert timing.source == "care_planning_regs_2010"
    assert set(cal.as_kwargs()) == {
        "first_review_working_days",
        "second_review_after_first_days",
        "second_review_after_first_months",
        "subsequent_review_months",
    }


def test_advocacy_is_null_where_the_document_is_silent(councils):
    nsom = councils["north_somerset"].advocacy
    assert (nsom.offer, nsom.how_to_ask, nsom.source) == (None, None, None)
    durham = councils["durham"].advocacy
    assert durham.how_to_ask and "Durham" in durham.how_to_ask
    assert councils["north_yorkshire"].advocacy.how_to_ask is None


def test_missing_fields_and_bad_values_are_recorded():
    profile = parse_council(
        {
            "id": "x",
            "contacts": {"children_services": {"label": "Desk", "phone": "0123"}},
            "review_timetable": {"second_review_after_first_days": 84, "second_review_after_first_months": 3},
        },
        "councils/x.yml",
    )
    joined = "\n".join(profile.problems)
    assert "missing field 'name'" in joined
    assert "missing field 'advocacy'" in joined
    assert "contact 'children_services' has no source" in joined
    assert "exactly one of second_review_after_first_days" in joined


def test_id_must_match_file_name(tmp_path: Path):
    (tmp_path / "councils").mkdir()
    raw = yaml.safe_load((CONTENT / "councils" / "durham.yml").read_text())
    (tmp_path / "councils" / "elsewhere.yml").write_text(yaml.safe_dump(raw))
    loaded = load_councils(tmp_path)
    assert any("does not match the file name" in p for p in loaded["durham"].problems)
