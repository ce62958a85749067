"""Entitlements: every line cites its law, each group gets the right lines at the right ages."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import yaml

from bot.knowledge.care_leavers.entitlements import (
    entitlements_by_group,
    entitlements_for,
    load_entitlements,
    parse_entitlements,
)
from bot.knowledge.care_leavers.facts import Answer, CareEpisode, GuidedAnswers
from bot.knowledge.care_leavers.status import Group, birthday, decide_from_answers, decide_from_episodes
from bot.settings import PROJECT_ROOT

Y, N, U = Answer.YES, Answer.NO, Answer.NOT_SURE
CONTENT = PROJECT_ROOT / "content"
CATALOGUE = load_entitlements()


def ids(decision) -> set[str]:
    return {e.id for e in entitlements_for(decision, CATALOGUE)}


def guided(**kwargs) -> set[str]:
    return ids(decide_from_answers(GuidedAnswers(**kwargs)))


def known_source_ids() -> set[str]:
    found: set[str] = set()
    for path in [CONTENT / "sources.yml", *sorted((CONTENT / "sources.d").glob("*.yml"))]:
        found |= set(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    return found


# ---- every line cites its law ----------------------------------------------------------------

def test_every_entitlement_has_text_and_a_legal_source() -> None:
    assert CATALOGUE
    for e in CATALOGUE:
        assert e.text.strip() and e.title.strip(), e.id
        assert e.source.strip(), e.id
        assert re.search(r"\b(Act|Regulations|Order|guidance)\b", e.source), f"{e.id}: '{e.source}' names no law"


def test_source_ids_point_at_known_sources() -> None:
    known = known_source_ids()
    for e in CATALOGUE:
        assert set(e.source_ids) <= known, f"{e.id}: unknown source ids {set(e.source_ids) - known}"


def test_staying_close_is_new_and_not_stated_as_in_force() -> None:
    (staying_close,) = [e for e in CATALOGUE if e.id == "staying_close"]
    assert staying_close.new and not staying_close.in_force
    assert "s23CZAA" in staying_close.source and "2026" in staying_close.source
    assert "ask" in staying_close.text.lower() and "being brought in" in staying_close.text


def test_only_duties_not_yet_in_force_are_marked_new() -> None:
    assert {e.id for e in CATALOGUE if e.new} == {"staying_close"}


@pytest.mark.parametrize("broken, message", [
    ({"source": ""}, "source"),
    ({"applies_to": ["care_leaver"]}, "unknown group"),
    ({"bands": ["16_17"]}, "unknown age band"),
    ({"condition": "happy"}, "unknown condition"),
    ({"in_force": False, "text": "A new thing."}, "ask"),
])
def test_schema_mistakes_are_errors(broken: dict, message: str) -> None:
    good = {"id": "x", "title": "X", "text": "Some help.", "applies_to": ["eligible"], "source": "Children Act 1989, s1"}
    with pytest.raises(ValueError, match=message):
        parse_entitlements({"entitlements": [{**good, **broken}]})


def test_duplicate_ids_are_errors() -> None:
    line = {"id": "x", "title": "X", "text": "Help.", "applies_to": ["eligible"], "source": "Children Act 1989, s1"}
    with pytest.raises(ValueError, match="duplicate"):
        parse_entitlements({"entitlements": [line, line]})


# ---- the right lines for each group -----------------------------------------------------------

def test_eligible_gets_a_pathway_plan_a_pa_and_staying_put_but_not_leaving_care_housing() -> None:
    got = guided(age=17, in_care_after_16=Y, thirteen_weeks_since_14=Y, still_in_care=Y)
    assert {"pathway_plan", "personal_adviser_to_21", "staying_put", "social_worker_and_care_plan",
            "iro_and_reviews", "local_offer", "complain_with_an_advocate"} <= got
    assert "home_and_money_16_17" not in got


def test_relevant_gets_a_home_and_money_while_16_or_17() -> None:
    got = guided(age=16, in_care_after_16=Y, thirteen_weeks_since_14=Y, still_in_care=N)
    assert {"home_and_money_16_17", "keep_in_touch", "pathway_plan", "personal_adviser_to_21"} <= got
    assert "social_worker_and_care_plan" not in got


def test_former_relevant_18_to_20() -> None:
    got = guided(age=19, in_care_after_16=Y, thirteen_weeks_since_14=Y, in_education_or_training=N)
    assert {"personal_adviser_to_21", "education_work_help_to_21", "higher_education_bursary", "staying_put",
            "housing_priority_18_20", "corporate_parent"} <= got
    assert {"personal_adviser_21_to_25", "holiday_accommodation", "home_and_money_16_17"}.isdisjoint(got)


def test_former_relevant_from_21_has_a_pa_on_request_and_education_support_if_studying() -> None:
    base = dict(age=21, in_care_after_16=Y, thirteen_weeks_since_14=Y)
    studying = guided(**base, in_education_or_training=Y)
    not_studying = guided(**base, in_education_or_training=N)
    assert {"personal_adviser_21_to_25", "support_in_education_to_25", "holiday_accommodation"} <= studying
    assert "personal_adviser_21_to_25" in not_studying
    assert {"support_in_education_to_25", "holiday_accommodation"}.isdisjoint(not_studying)
    assert {"personal_adviser_to_21", "staying_put", "housing_priority_18_20"}.isdisjoint(studying)


def test_21st_birthday_swaps_the_pa_line_on_the_day() -> None:
    dob = date(2005, 3, 10)
    episodes = [CareEpisode(date(2020, 1, 1), birthday(dob, 18), "s31")]
    before = ids(decide_from_episodes(dob, episodes, birthday(dob, 21) - timedelta(days=1), N))
    on = ids(decide_from_episodes(dob, episodes, birthday(dob, 21), N))
    assert "personal_adviser_to_21" in before and "personal_adviser_21_to_25" not in before
    assert "personal_adviser_21_to_25" in on and "personal_adviser_to_21" not in on


def test_nothing_statutory_from_the_25th_birthday() -> None:
    assert guided(age=25, in_care_after_16=Y, thirteen_weeks_since_14=Y) == set()


def test_qualifying_gets_advice_and_help_not_the_full_package() -> None:
    got = guided(age=18, in_care_after_16=Y, thirteen_weeks_since_14=N, in_education_or_training=Y)
    assert {"advice_and_assistance", "education_costs_to_25", "holiday_accommodation", "housing_priority_18_20",
            "local_offer"} <= got
    assert {"pathway_plan", "personal_adviser_to_21", "higher_education_bursary", "staying_put"}.isdisjoint(got)


def test_in_care_not_yet_eligible_gets_what_children_in_care_get() -> None:
    got = guided(age=16, in_care_after_16=Y, thirteen_weeks_since_14=N, still_in_care=Y)
    assert {"social_worker_and_care_plan", "iro_and_reviews", "complain_with_an_advocate"} == got


def test_under_16_is_told_what_applies_now() -> None:
    assert {"social_worker_and_care_plan", "iro_and_reviews"} <= guided(age=15)


def test_special_guardianship_and_adoption_point_to_their_own_support() -> None:
    sgo = guided(age=17, in_care_after_16=N, special_guardianship_after_care=Y)
    assert {"special_guardianship_support", "advice_and_assistance", "previously_looked_after_education"} <= sgo
    adopted = guided(age=17, in_care_after_16=N, adopted=Y)
    assert adopted == {"adoption_support", "previously_looked_after_education"}


def test_not_sure_only_promises_what_every_possible_group_gets() -> None:
    decision = decide_from_answers(GuidedAnswers(age=17, in_care_after_16=Y, thirteen_weeks_since_14=U,
                                                 still_in_care=N))
    shared = ids(decision)
    assert "home_and_money_16_17" not in shared  # relevant only, and they may be qualifying
    assert {"local_offer", "complain_with_an_advocate"} <= shared
    by_group = {g: {e.id for e in lines} for g, lines in entitlements_by_group(decision, CATALOGUE).items()}
    assert set(by_group) == {Group.RELEVANT, Group.QUALIFYING}
    assert "home_and_money_16_17" in by_group[Group.RELEVANT]
    assert "advice_and_assistance" in by_group[Group.QUALIFYING]
