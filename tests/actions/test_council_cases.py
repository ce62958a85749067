"""Conversation tests for every place the councils' documents disagree (seed_facts section 11).

Each case in ``tests/council_cases/*.yml`` is a question (intent and entities, as Rasa would
parse it) and, per council profile, words the answer must contain and words it must not.
The real action runs with a CareChat configured for that council, for each audience, and the
test reads what the dispatcher sent: the same path a user's message takes after NLU. Where the
answer comes in bites, the test taps "Tell me more" as a reader would and reads both messages.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from rasa_sdk.executor import CollectingDispatcher

from actions.actions import ActionAnswerTopic, ActionCompareOrders, ActionFollowUp
from bot.assistant import CareChat
from bot.settings import load_settings
from tests.actions.conftest import button_entities, make_tracker, more_button
from bot.knowledge.audiences import VERSIONS as AUDIENCES

CASES_DIR = Path(__file__).resolve().parents[1] / "council_cases"
COUNCILS = ("north_yorkshire", "calderdale", "north_somerset", "durham")


def _load_cases() -> list[dict]:
    cases: list[dict] = []
    for path in sorted(CASES_DIR.glob("*.yml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            case["file"] = path.name
            cases.append(case)
    return cases


CASES = _load_cases()
RUNS = [
    pytest.param(case, council, audience,
                 id=f"{case['file']}:item{case['item']}:{case['about'][:30]}:{council}:{audience}")
    for case in CASES
    for council in COUNCILS
    for audience in case.get("audiences", AUDIENCES)
    if council in case["councils"]
]


def test_cases_cover_every_disagreement_for_every_council():
    """Section 11 has 24 items; each needs a case, and each case must speak for all four councils."""
    items = {case["item"] for case in CASES}
    assert items == set(range(1, 25)), f"missing items: {sorted(set(range(1, 25)) - items)}"
    for case in CASES:
        assert set(case["councils"]) == set(COUNCILS), f"{case['file']} item {case['item']}"
        for council, expect in case["councils"].items():
            for audience in case.get("audiences", AUDIENCES):
                says = expect.get("says_" + audience, expect.get("says"))
                assert says, f"{case['file']} item {case['item']} {council}/{audience}: nothing to check"


@pytest.fixture(scope="module")
def carechats(library, tmp_path_factory) -> dict[str, CareChat]:
    folder = tmp_path_factory.mktemp("councils")
    return {
        council: CareChat(load_settings({
            "CARECHAT_TOKEN_SECRET": "council-case-secret-" + "z" * 30,
            "CASE_STORE_URL": f"sqlite:///{folder / 'unused.sqlite'}",
            "CARECHAT_COUNCIL": council,
        }), library)
        for council in COUNCILS
    }


@pytest.mark.parametrize(("case", "council", "audience"), RUNS)
def test_council_case(case, council, audience, carechats):
    ask = case["ask"]
    entities = ask.get("entities", [])
    tracker = make_tracker(ask.get("text", ""), ask["intent"], entities, {"audience": audience})
    action_class = ActionCompareOrders if ask["intent"] == "compare_orders" else ActionAnswerTopic
    dispatcher = CollectingDispatcher()
    action_class(carechats[council]).run(dispatcher, tracker, {})
    more = more_button(dispatcher.messages)
    if more is not None:  # the short answer first: the reader taps "Tell me more" for the rest
        tap = make_tracker(more["payload"], "ask_follow_up", button_entities(more["payload"]), {"audience": audience})
        ActionFollowUp(carechats[council]).run(dispatcher, tap, {})
    said = " ".join(message.get("text") or "" for message in dispatcher.messages).lower()
    expect = case["councils"][council]
    says = expect.get("says_" + audience, expect.get("says", []))
    for phrase in says:
        assert phrase.lower() in said, f"{council}/{audience} should say {phrase!r}:\n{said}"
    for phrase in expect.get("not", []):
        assert phrase.lower() not in said, f"{council}/{audience} must not say {phrase!r}:\n{said}"
