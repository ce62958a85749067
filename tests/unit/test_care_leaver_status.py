"""Care-leaver group rules at every legal edge: birthdays, 13 weeks, orders, "not sure" and bad input."""
from __future__ import annotations

from datetime import date, timedelta
from itertools import product

import pytest

from bot.knowledge.care_leavers.facts import Answer, CareEpisode, GuidedAnswers
from bot.knowledge.care_leavers.status import (
    Group,
    Reason,
    age_on,
    birthday,
    decide_from_answers,
    decide_from_episodes,
)

Y, N, U = Answer.YES, Answer.NO, Answer.NOT_SURE
DOB = date(2006, 6, 15)
B14, B16, B18, B21, B25 = (birthday(DOB, n) for n in (14, 16, 18, 21, 25))
DAY = timedelta(days=1)


def ep(start: date, end: date | None, status: str = "s31") -> CareEpisode:
    return CareEpisode(start=start, end=end, legal_status=status)


def only(decision) -> tuple[Group, Reason]:
    assert decision.is_certain, f"expected one group, got {decision.groups}"
    (outcome,) = {(o.group, o.reason) for o in decision.outcomes}
    return outcome


# ---- birthdays -----------------------------------------------------------------------------

def test_birthdays_and_ages_turn_over_on_the_day() -> None:
    assert age_on(DOB, B16 - DAY) == 15
    assert age_on(DOB, B16) == 16


@pytest.mark.parametrize("years, expected", [
    (14, date(2022, 3, 1)), (16, date(2024, 2, 29)), (18, date(2026, 3, 1)),
    (21, date(2029, 3, 1)), (25, date(2033, 3, 1)),
])
def test_29_february_birthdays_fall_on_1_march_in_other_years(years: int, expected: date) -> None:
    assert birthday(date(2008, 2, 29), years) == expected


# ---- the 16th birthday ---------------------------------------------------------------------

def test_day_before_16th_birthday_in_care_is_not_yet_a_care_leaver() -> None:
    decision = decide_from_episodes(DOB, [ep(B14, None)], B16 - DAY)
    assert only(decision) == (Group.NOT_A_CARE_LEAVER, Reason.UNDER_16)


def test_on_16th_birthday_in_care_since_14_is_eligible() -> None:
    decision = decide_from_episodes(DOB, [ep(B14, None)], B16)
    assert only(decision) == (Group.ELIGIBLE, Reason.IN_CARE_13_WEEKS)


def test_left_care_the_day_before_16th_birthday_is_not_a_care_leaver() -> None:
    # ``end`` is the first day no longer in care: ending on the 16th birthday means the last
    # day in care was the day before it.
    decision = decide_from_episodes(DOB, [ep(B14, B16)], B16 + timedelta(days=30))
    assert only(decision) == (Group.NOT_A_CARE_LEAVER, Reason.LEFT_CARE_BEFORE_16)


def test_in_care_on_16th_birthday_then_left_is_relevant() -> None:
    decision = decide_from_episodes(DOB, [ep(B14, B16 + DAY)], B16 + timedelta(days=30))
    assert only(decision) == (Group.RELEVANT, Reason.LEFT_CARE_AFTER_ELIGIBLE)


def test_left_care_before_16_stays_not_a_care_leaver_at_19() -> None:
    decision = decide_from_episodes(DOB, [ep(B14, B14 + timedelta(days=400))], B18 + timedelta(days=400))
    assert only(decision) == (Group.NOT_A_CARE_LEAVER, Reason.LEFT_CARE_BEFORE_16)


def test_never_in_care() -> None:
    assert only(decide_from_episodes(DOB, [], B18)) == (Group.NOT_A_CARE_LEAVER, Reason.NEVER_LOOKED_AFTER)


# ---- 13 weeks since the 14th birthday ------------------------------------------------------

def test_thirteen_weeks_exactly_in_care_from_16_is_eligible() -> None:
    decision = decide_from_episodes(DOB, [ep(B16, None)], B16 + timedelta(days=91))
    assert only(decision) == (Group.ELIGIBLE, Reason.IN_CARE_13_WEEKS)
    assert decision.days_looked_after_since_14 == 91


def test_one_day_short_of_thirteen_weeks_is_not_yet_eligible_and_says_when() -> None:
    decision = decide_from_episodes(DOB, [ep(B16, None)], B16 + timedelta(days=90))
    assert only(decision) == (Group.IN_CARE_NOT_YET_ELIGIBLE, Reason.IN_CARE_UNDER_13_WEEKS)
    assert decision.eligible_from == B16 + timedelta(days=91)


def test_split_episodes_add_up_to_exactly_thirteen_weeks() -> None:
    episodes = [ep(B14, B14 + timedelta(days=50), "s20"), ep(B16, B16 + timedelta(days=41), "s20")]
    assert only(decide_from_episodes(DOB, episodes, B16 + timedelta(days=100)))[0] == Group.RELEVANT


def test_split_episodes_one_day_short_make_a_qualifying_young_person() -> None:
    episodes = [ep(B14, B14 + timedelta(days=50), "s20"), ep(B16, B16 + timedelta(days=40), "s20")]
    decision = decide_from_episodes(DOB, episodes, B16 + timedelta(days=100))
    assert only(decision) == (Group.QUALIFYING, Reason.IN_CARE_AFTER_16_UNDER_13_WEEKS)


def test_split_episodes_still_in_care_reach_thirteen_weeks_on_the_day() -> None:
    episodes = [ep(B14, B14 + timedelta(days=50)), ep(B16, None)]
    assert only(decide_from_episodes(DOB, episodes, B16 + timedelta(days=41)))[0] == Group.ELIGIBLE
    assert only(decide_from_episodes(DOB, episodes, B16 + timedelta(days=40)))[0] == Group.IN_CARE_NOT_YET_ELIGIBLE


def test_time_in_care_before_14_does_not_count() -> None:
    # 189 days in this episode, but only 89 of them after the 14th birthday; plus 1 day at 16.
    short = [ep(B14 - timedelta(days=100), B14 + timedelta(days=89)), ep(B16, B16 + DAY)]
    enough = [ep(B14 - timedelta(days=100), B14 + timedelta(days=90)), ep(B16, B16 + DAY)]
    today = B16 + timedelta(days=60)
    assert only(decide_from_episodes(DOB, short, today))[0] == Group.QUALIFYING
    assert only(decide_from_episodes(DOB, enough, today))[0] == Group.RELEVANT


def test_overlapping_records_are_not_counted_twice() -> None:
    # An interim care order followed by a care order recorded with a 30-day overlap: 90 days, not 120.
    episodes = [ep(B16, B16 + timedelta(days=60), "s38"), ep(B16 + timedelta(days=30), B16 + timedelta(days=90))]
    decision = decide_from_episodes(DOB, episodes, B16 + timedelta(days=200))
    assert decision.days_looked_after_since_14 == 90
    assert only(decision)[0] == Group.QUALIFYING


def test_statuses_that_are_not_care_do_not_count_towards_13_weeks() -> None:
    episodes = [ep(B14, None, "cao"), ep(B16, B16 + timedelta(days=10), "police_protection")]
    decision = decide_from_episodes(DOB, episodes, B16 + timedelta(days=200))
    assert decision.days_looked_after_since_14 == 0
    assert only(decision) == (Group.NOT_A_CARE_LEAVER, Reason.NEVER_LOOKED_AFTER)


def test_time_after_18_never_counts() -> None:
    # Came into care 30 days before turning 18: care ends at 18, so not 13 weeks: qualifying.
    decision = decide_from_episodes(DOB, [ep(B18 - timedelta(days=30), B18)], B18 + timedelta(days=200))
    assert decision.days_looked_after_since_14 == 30
    assert only(decision)[0] == Group.QUALIFYING


# ---- the 18th, 21st and 25th birthdays -----------------------------------------------------

def test_eligible_the_day_before_18_and_former_relevant_on_the_day() -> None:
    still_open = [ep(B16 - timedelta(days=200), None)]
    closed_at_18 = [ep(B16 - timedelta(days=200), B18)]
    assert only(decide_from_episodes(DOB, still_open, B18 - DAY))[0] == Group.ELIGIBLE
    assert only(decide_from_episodes(DOB, closed_at_18, B18)) == (Group.FORMER_RELEVANT,
                                                                 Reason.WAS_ELIGIBLE_OR_RELEVANT)
    # A record left open past 18 is still read as having left care at 18, with a note to fix it.
    stale = decide_from_episodes(DOB, still_open, B18)
    assert only(stale)[0] == Group.FORMER_RELEVANT and stale.notes


def test_relevant_the_day_before_18_and_former_relevant_on_the_day() -> None:
    episodes = [ep(B16 - timedelta(days=200), B16 + timedelta(days=100))]
    assert only(decide_from_episodes(DOB, episodes, B18 - DAY))[0] == Group.RELEVANT
    assert only(decide_from_episodes(DOB, episodes, B18))[0] == Group.FORMER_RELEVANT


def test_former_relevant_stays_so_at_21_and_24_and_ends_at_25() -> None:
    episodes = [ep(B16 - timedelta(days=200), B18)]
    for today in (B21 - DAY, B21, B25 - DAY):
        assert only(decide_from_episodes(DOB, episodes, today, N))[0] == Group.FORMER_RELEVANT
    assert only(decide_from_episodes(DOB, episodes, B25)) == (Group.NOT_A_CARE_LEAVER, Reason.AGED_25_OR_OVER)


def test_qualifying_ends_at_21_unless_in_education_or_training() -> None:
    episodes = [ep(B16, B16 + timedelta(days=30))]
    assert only(decide_from_episodes(DOB, episodes, B21 - DAY, N))[0] == Group.QUALIFYING
    assert only(decide_from_episodes(DOB, episodes, B21, N)) == (Group.NOT_A_CARE_LEAVER,
                                                                Reason.PAST_21_NOT_IN_EDUCATION)
    assert only(decide_from_episodes(DOB, episodes, B21, Y))[0] == Group.QUALIFYING
    assert only(decide_from_episodes(DOB, episodes, B25 - DAY, Y))[0] == Group.QUALIFYING
    unsure = decide_from_episodes(DOB, episodes, B21, U)
    assert unsure.groups == {Group.QUALIFYING, Group.NOT_A_CARE_LEAVER} and unsure.confirm_with


def test_29_february_child_turns_18_on_1_march() -> None:
    dob = date(2008, 2, 29)
    assert only(decide_from_episodes(dob, [ep(date(2023, 1, 1), None)], date(2026, 2, 28)))[0] == Group.ELIGIBLE
    episodes = [ep(date(2023, 1, 1), date(2026, 3, 1))]
    assert only(decide_from_episodes(dob, episodes, date(2026, 3, 1)))[0] == Group.FORMER_RELEVANT


def test_29_february_child_turns_16_on_29_february_in_a_leap_year() -> None:
    dob = date(2008, 2, 29)
    episodes = [ep(date(2023, 1, 1), None)]
    assert only(decide_from_episodes(dob, episodes, date(2024, 2, 28)))[1] == Reason.UNDER_16
    assert only(decide_from_episodes(dob, episodes, date(2024, 2, 29)))[0] == Group.ELIGIBLE


def test_29_february_child_14th_birthday_is_1_march() -> None:
    dob = date(2008, 2, 29)   # 14 on 1 March 2022
    start = date(2022, 2, 28)  # one day before 14: not counted
    episodes = [ep(start, start + timedelta(days=91)), ep(date(2024, 3, 1), date(2024, 3, 2))]
    decision = decide_from_episodes(dob, episodes, date(2024, 6, 1))
    assert decision.days_looked_after_since_14 == 91  # 90 from the first, 1 from the second
    assert only(decision)[0] == Group.RELEVANT


def test_29_february_child_turns_21_and_25_on_1_march() -> None:
    dob = date(2008, 2, 29)
    episodes = [ep(date(2023, 1, 1), date(2026, 3, 1))]
    assert only(decide_from_episodes(dob, episodes, date(2029, 2, 28)))[0] == Group.FORMER_RELEVANT
    assert decide_from_episodes(dob, episodes, date(2029, 3, 1)).age == 21
    qualifying = [ep(date(2024, 3, 1), date(2024, 4, 1))]
    assert only(decide_from_episodes(dob, qualifying, date(2029, 2, 28), N))[0] == Group.QUALIFYING
    assert only(decide_from_episodes(dob, qualifying, date(2029, 3, 1), N))[1] == Reason.PAST_21_NOT_IN_EDUCATION
    assert only(decide_from_episodes(dob, episodes, date(2033, 2, 28)))[0] == Group.FORMER_RELEVANT
    assert only(decide_from_episodes(dob, episodes, date(2033, 3, 1)))[1] == Reason.AGED_25_OR_OVER


# ---- special guardianship and adoption -----------------------------------------------------

def test_sgo_straight_from_care_makes_a_qualifying_young_person_from_16() -> None:
    sgo_day = DOB.replace(year=DOB.year + 10)
    episodes = [ep(sgo_day - timedelta(days=400), sgo_day), ep(sgo_day, None, "sgo")]
    assert only(decide_from_episodes(DOB, episodes, B16 - DAY))[1] == Reason.UNDER_16
    assert only(decide_from_episodes(DOB, episodes, B16)) == (Group.QUALIFYING, Reason.SPECIAL_GUARDIANSHIP_AFTER_CARE)


def test_sgo_not_straight_from_care_is_sgo_support_not_leaving_care() -> None:
    sgo_day = DOB.replace(year=DOB.year + 10)
    episodes = [ep(sgo_day - timedelta(days=400), sgo_day - timedelta(days=60)), ep(sgo_day, None, "sgo")]
    assert only(decide_from_episodes(DOB, episodes, B16 + DAY)) == (Group.NOT_A_CARE_LEAVER, Reason.SPECIAL_GUARDIANSHIP)


def test_sgo_time_never_counts_as_care() -> None:
    episodes = [ep(B14, B16 - timedelta(days=10)), ep(B16 - timedelta(days=10), None, "sgo")]
    decision = decide_from_episodes(DOB, episodes, B16 + timedelta(days=100))
    assert only(decision) == (Group.QUALIFYING, Reason.SPECIAL_GUARDIANSHIP_AFTER_CARE)


def test_sgo_from_care_past_21_needs_education_or_training() -> None:
    sgo_day = DOB.replace(year=DOB.year + 10)
    episodes = [ep(sgo_day - timedelta(days=400), sgo_day), ep(sgo_day, B18, "sgo")]
    assert only(decide_from_episodes(DOB, episodes, B21, N))[1] == Reason.PAST_21_NOT_IN_EDUCATION
    assert only(decide_from_episodes(DOB, episodes, B21, Y))[1] == Reason.SPECIAL_GUARDIANSHIP_AFTER_CARE


def test_adoption_is_adoption_support_not_leaving_care() -> None:
    adopted = DOB.replace(year=DOB.year + 5)
    episodes = [ep(adopted - timedelta(days=300), adopted, "placement_order"), ep(adopted, None, "adoption")]
    assert only(decide_from_episodes(DOB, episodes, B18)) == (Group.NOT_A_CARE_LEAVER, Reason.ADOPTION)


def test_order_after_being_eligible_keeps_the_group_and_asks_for_confirmation() -> None:
    sgo_day = B16 + timedelta(days=200)
    episodes = [ep(B14, sgo_day), ep(sgo_day, None, "sgo")]
    decision = decide_from_episodes(DOB, episodes, sgo_day + timedelta(days=10))
    assert only(decision)[0] == Group.RELEVANT
    assert any("confirm" in note for note in decision.notes)


# ---- the guided check, including every "not sure" --------------------------------------------

@pytest.mark.parametrize("answers, expected", [
    (GuidedAnswers(age=17, in_care_after_16=Y, thirteen_weeks_since_14=Y, still_in_care=Y), {Group.ELIGIBLE}),
    (GuidedAnswers(age=16, in_care_after_16=Y, thirteen_weeks_since_14=N, still_in_care=Y),
     {Group.IN_CARE_NOT_YET_ELIGIBLE}),
    (GuidedAnswers(age=17, in_care_after_16=Y, thirteen_weeks_since_14=Y, still_in_care=N), {Group.RELEVANT}),
    (GuidedAnswers(age=17, in_care_after_16=Y, thirteen_weeks_since_14=N, still_in_care=N), {Group.QUALIFYING}),
    (GuidedAnswers(age=19, in_care_after_16=Y, thirteen_weeks_since_14=Y), {Group.FORMER_RELEVANT}),
    (GuidedAnswers(age=15, in_care_after_16=U, thirteen_weeks_since_14=U, still_in_care=U),
     {Group.NOT_A_CARE_LEAVER}),
    (GuidedAnswers(age=17, in_care_after_16=N, thirteen_weeks_since_14=Y, still_in_care=N),
     {Group.NOT_A_CARE_LEAVER}),
    (GuidedAnswers(age=17, in_care_after_16=N, special_guardianship_after_care=Y), {Group.QUALIFYING}),
    # "not sure" answers give the range
    (GuidedAnswers(age=17, in_care_after_16=Y, thirteen_weeks_since_14=U, still_in_care=Y),
     {Group.ELIGIBLE, Group.IN_CARE_NOT_YET_ELIGIBLE}),
    (GuidedAnswers(age=17, in_care_after_16=Y, thirteen_weeks_since_14=U, still_in_care=N),
     {Group.RELEVANT, Group.QUALIFYING}),
    (GuidedAnswers(age=17, in_care_after_16=Y, thirteen_weeks_since_14=Y, still_in_care=U),
     {Group.ELIGIBLE, Group.RELEVANT}),
    (GuidedAnswers(age=17, in_care_after_16=U, thirteen_weeks_since_14=Y, still_in_care=N),
     {Group.RELEVANT, Group.NOT_A_CARE_LEAVER}),
    # still in care at 17 settles "in care after 16", so this one is certain
    (GuidedAnswers(age=17, in_care_after_16=U, thirteen_weeks_since_14=Y, still_in_care=Y), {Group.ELIGIBLE}),
    (GuidedAnswers(age=17, in_care_after_16=U, thirteen_weeks_since_14=U, still_in_care=U),
     {Group.ELIGIBLE, Group.RELEVANT, Group.QUALIFYING, Group.IN_CARE_NOT_YET_ELIGIBLE, Group.NOT_A_CARE_LEAVER}),
    (GuidedAnswers(age=19, in_care_after_16=Y, thirteen_weeks_since_14=U), {Group.FORMER_RELEVANT, Group.QUALIFYING}),
    (GuidedAnswers(age=22, in_care_after_16=Y, thirteen_weeks_since_14=N, in_education_or_training=U),
     {Group.QUALIFYING, Group.NOT_A_CARE_LEAVER}),
    (GuidedAnswers(age=22, in_care_after_16=Y, thirteen_weeks_since_14=Y, in_education_or_training=U),
     {Group.FORMER_RELEVANT}),
    (GuidedAnswers(age=17, in_care_after_16=N, special_guardianship_after_care=U),
     {Group.QUALIFYING, Group.NOT_A_CARE_LEAVER}),
    (GuidedAnswers(age=25, in_care_after_16=Y, thirteen_weeks_since_14=Y), {Group.NOT_A_CARE_LEAVER}),
    (GuidedAnswers(age=None, in_care_after_16=Y, thirteen_weeks_since_14=Y, still_in_care=N),
     {Group.RELEVANT, Group.FORMER_RELEVANT, Group.NOT_A_CARE_LEAVER}),
])
def test_guided_answers(answers: GuidedAnswers, expected: set[Group]) -> None:
    decision = decide_from_answers(answers, today=date(2026, 11, 29))
    assert decision.groups == expected
    assert bool(decision.confirm_with) == (len(expected) > 1)


@pytest.mark.parametrize("age", [15, 16, 17, 18, 20, 21, 24, 25])
def test_every_not_sure_combination_is_the_union_of_its_yes_no_answers(age: int) -> None:
    """Each "not sure" gives exactly the groups that some real yes/no answer would give."""
    for combo in product((Y, N, U), repeat=4):
        after16, weeks, still, edu = combo
        if age in (16, 17) and still == Y and after16 == N:
            continue  # contradiction, tested below
        answers = GuidedAnswers(age=age, in_care_after_16=after16, thirteen_weeks_since_14=weeks,
                                still_in_care=still, in_education_or_training=edu)
        decision = decide_from_answers(answers)
        expected: set[Group] = set()
        for real in product(*[(Y, N) if a == U else (a,) for a in combo]):
            if age in (16, 17) and real[2] == Y and real[0] == N:
                continue
            sure = decide_from_answers(GuidedAnswers(age, None, *real))
            assert sure.is_certain, f"yes/no answers must settle the group: {real}"
            expected |= sure.groups
        assert decision.groups == expected, combo
        assert (not decision.is_certain) == bool(decision.confirm_with)


def test_date_of_birth_works_like_age() -> None:
    answers = GuidedAnswers(date_of_birth=DOB, in_care_after_16=Y, thirteen_weeks_since_14=Y, still_in_care=Y)
    assert decide_from_answers(answers, today=B18 - DAY).groups == {Group.ELIGIBLE}
    assert decide_from_answers(answers, today=B18).groups == {Group.FORMER_RELEVANT}
    assert decide_from_answers(answers, today=B18).notes  # "still in care" at 18 is probably staying put


@pytest.mark.parametrize("text, expected", [("yes", Y), ("No", N), ("not sure", U), ("don't know", U),
                                            (True, Y), (False, N), (None, U)])
def test_answers_parse_from_what_a_form_sends(text, expected) -> None:
    assert Answer.parse(text) == expected


# ---- bad input -----------------------------------------------------------------------------

@pytest.mark.parametrize("episodes, today, message", [
    ([ep(B16, B16 - DAY)], B18, "ends before it starts"),
    ([ep(B18 + DAY, None)], B18, "future"),
    ([ep(B16, B18 + DAY)], B18, "future"),
    ([ep(DOB - DAY, B16)], B18, "before the date of birth"),
    ([ep(B16, None, "care order")], B18, "unknown legal status"),
])
def test_bad_episodes_are_refused_with_a_clear_reason(episodes, today, message) -> None:
    with pytest.raises(ValueError, match=message):
        decide_from_episodes(DOB, episodes, today)


def test_date_of_birth_in_the_future_is_refused() -> None:
    with pytest.raises(ValueError, match="future"):
        decide_from_episodes(date(2030, 1, 1), [], date(2026, 1, 1))
    with pytest.raises(ValueError, match="future"):
        decide_from_answers(GuidedAnswers(date_of_birth=date(2030, 1, 1)), today=date(2026, 1, 1))


@pytest.mark.parametrize("age", [-1, 121, 1000])
def test_age_out_of_range_is_refused(age: int) -> None:
    with pytest.raises(ValueError, match="out of range"):
        decide_from_answers(GuidedAnswers(age=age))


def test_age_that_is_not_a_whole_number_is_refused() -> None:
    with pytest.raises(ValueError, match="whole number"):
        decide_from_answers(GuidedAnswers(age=True))


def test_age_and_date_of_birth_that_disagree_are_refused() -> None:
    with pytest.raises(ValueError, match="does not match"):
        decide_from_answers(GuidedAnswers(age=19, date_of_birth=DOB), today=B16)


def test_contradictory_answers_are_refused() -> None:
    with pytest.raises(ValueError, match="contradict"):
        decide_from_answers(GuidedAnswers(age=17, in_care_after_16=N, still_in_care=Y))


def test_an_answer_that_is_not_yes_no_or_not_sure_is_refused() -> None:
    with pytest.raises(ValueError):
        Answer.parse("perhaps tomorrow")
    with pytest.raises(ValueError):
        decide_from_answers(GuidedAnswers(age=17, in_care_after_16="yes"))  # type: ignore[arg-type]
