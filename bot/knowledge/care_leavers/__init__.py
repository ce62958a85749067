"""Care leavers: which group a young person is in, what that group is owed, and in plain words.

- ``facts``: the facts the rules work from (case-store care episodes, guided-check answers).
- ``status``: the group decision (Children Act 1989 as amended), "not sure" giving a range.
- ``entitlements``: what each group gets, each line with its legal source (content YAML).
- ``local_offer``: what each council's own documents say, and where they are silent.
- ``explain``: the short answer for the young person.

Standard library and PyYAML only: both environments import ``bot.knowledge``.
"""
from __future__ import annotations

from bot.knowledge.care_leavers.facts import Answer, CareEpisode, GuidedAnswers
from bot.knowledge.care_leavers.status import (
    Decision,
    Group,
    Reason,
    decide_from_answers,
    decide_from_episodes,
)

__all__ = ["Answer", "CareEpisode", "GuidedAnswers", "Decision", "Group", "Reason",
           "decide_from_answers", "decide_from_episodes"]
