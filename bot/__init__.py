"""CareChat's library. Folders by concern, and which environment each runs in:

- ``knowledge`` (both): cards, councils, comparisons, choosing a card, scope, fallback, who to
  ask, the safety reply.
- ``safeguarding`` (both): the lexicon, matcher and decision that guard every message.
- ``personal`` (app): identity tokens, the case store, personal lookups, review dates.
- ``gateway`` (app): the web page, sessions, limits and the safety deadline.
- ``ops`` (app; ``training`` in both): command line, stack runner, training, retention, reports.
- ``engine`` (engine): everything that runs inside the Rasa server, and its evaluation.
- ``evaluation`` (app): the speed and memory benchmark.
- ``assistant`` (app): the one facade the Rasa actions call; ``settings`` (both): configuration.

tests/unit/test_environment_boundary.py checks that no module crosses its environment.
"""
