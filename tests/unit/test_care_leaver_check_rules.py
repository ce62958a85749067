"""The check's rules (data/rules/care_leaver_check.yml) cover every message a young person can send
during the check: safety first and always leaving it, "Stop", answers that do not fit, and every
other intent either answered and left or answered and asked again."""
from __future__ import annotations

import yaml

from bot.knowledge.care_leavers import guided_check as g
from bot.settings import PROJECT_ROOT

RULES_DIR = PROJECT_ROOT / "data" / "rules"
LOOP = {"active_loop": g.FORM}
SAFETY_INTENTS = ("safeguarding_concern", "get_help_now", "safety_not_ok")
#: Small talk is answered and the same question asked again; everything else leaves the check.
ASKED_AGAIN = {"greet", "thank", "ask_are_you_a_bot", "insult", "nlu_fallback", g.ANSWER_INTENT, g.CHECK_INTENT}
LEAVE = [{"action": "action_deactivate_loop"}, {"active_loop": None}]
BACK = [{"action": g.FORM}, LOOP]


def rules(name: str) -> list[dict]:
    return yaml.safe_load((RULES_DIR / name).read_text(encoding="utf-8"))["rules"]


def in_check() -> dict[str, list[dict]]:
    """Intent -> steps after it, for the rules that apply while the check is active."""
    found: dict[str, list[dict]] = {}
    for rule in rules("care_leaver_check.yml"):
        steps = rule["steps"]
        if rule.get("condition") == [LOOP] and "intent" in steps[0]:
            assert steps[0]["intent"] not in found, f"two rules for {steps[0]['intent']} in the check"
            found[steps[0]["intent"]] = steps[1:]
    return found


def general_intents() -> dict[str, str]:
    """Intent -> action for every one-question rule in rules.yml."""
    return {r["steps"][0]["intent"]: r["steps"][1]["action"] for r in rules("rules.yml")
            if "condition" not in r and len(r["steps"]) == 2}


def domain_intents() -> list[str]:
    return yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))["intents"]


def test_the_safety_rules_come_first_and_always_leave_the_check() -> None:
    first = rules("care_leaver_check.yml")[:len(SAFETY_INTENTS)]
    assert [r["steps"][0]["intent"] for r in first] == list(SAFETY_INTENTS)
    for rule in first:
        assert rule["condition"] == [LOOP]
        assert rule["steps"][1:] == [{"action": "action_safety_reply"}, *LEAVE]


def test_every_intent_has_a_rule_inside_the_check() -> None:
    covered = in_check()
    missing = [i for i in domain_intents() if i not in covered and i != g.STOP_INTENT]
    assert not missing, f"no rule for these during the check: {missing}"
    assert "nlu_fallback" in covered


def test_each_intent_gets_its_usual_answer_inside_the_check_then_leaves_or_asks_again() -> None:
    usual = general_intents()
    for intent, steps in in_check().items():
        if intent == "nlu_fallback":  # during the check, most likely a typed answer
            assert steps[0] == {"action": "utter_check_tap_an_answer"}
        elif intent in usual:
            assert steps[0] == {"action": usual[intent]}, intent
        tail = steps[1:]
        if intent in ASKED_AGAIN:
            assert tail == BACK, intent
        else:
            assert tail == LEAVE, intent


def test_stop_leaves_kindly_and_the_form_starts_only_after_the_record_was_tried() -> None:
    assert in_check()[g.STOP_INTENT] == [{"action": "utter_check_stopped"}, *LEAVE]
    starts = [r for r in rules("care_leaver_check.yml")
              if r["steps"][0].get("intent") == g.CHECK_INTENT and "condition" not in r]
    assert len(starts) == 2
    for rule in starts:
        assert rule["steps"][1] == {"action": "action_start_care_leaver_check"}
        (from_record,) = rule["steps"][2]["slot_was_set"]
        if from_record == {"cl_from_record": False}:
            assert rule["steps"][3:] == BACK
        else:
            assert from_record == {"cl_from_record": True} and len(rule["steps"]) == 3


def test_the_answer_follows_the_form_only_when_it_ends() -> None:
    (submit,) = [r for r in rules("care_leaver_check.yml") if r["steps"][0].get("action") == g.FORM]
    assert submit["condition"] == [LOOP]
    assert submit["steps"][-1] == {"action": "action_care_leaver_check_answer"}
    assert {"active_loop": None} in submit["steps"]
