"""Safeguarding: spotting harm in a message, in plain Python that runs in both environments.

Why its own package: the same check runs inside the Rasa server (as an NLU component, engine
environment) and in the gateway (app environment), so the safety reply never waits on any
other service. It imports neither Rasa nor spaCy, only the standard library and PyYAML.

- ``lexicon``: loads the reviewable rules from ``content/safeguarding/lexicon.yml``.
- ``normalise``: folds text speak, leetspeak and typos into the words the rules know.
- ``matcher``: runs the rules over a message and says which fired (never the words).
- ``decision``: combines the lexicon, the trained classifier and the previous turn into a tier.
- ``evaluate``: the phrase-set and blind-set report (``python -m bot.safeguarding.evaluate``).
"""
