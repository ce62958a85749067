"""Measured quality and speed: ``make eval`` (bot.evaluation.eval) and ``make bench`` (bot.evaluation.bench).

``bot.evaluation.nlu`` is the held-out NLU scoring core; its pure functions need no Rasa and
``evaluate_holdout`` runs in the engine environment. See docs/evaluation.md.
"""
