"""Engine-side code: runs in the Rasa server's environment (Rasa 3.6, spaCy 3.4, scikit-learn).

- ``safeguarding_component``, ``safeguarding_classifier``: the safeguarding check inside NLU.
- ``spacy_pipeline``: builds the offline spaCy pipeline and its care-term ruler.
- ``rasa_server``: starts ``rasa run`` with CareChat's patches.
- ``evaluation``: figures through a trained model (``make eval``).

It may import the shared modules (``bot.knowledge``, ``bot.safeguarding``, ``bot.settings``,
``bot.ops.training``) but never app-only code (case store, gateway, actions):
tests/unit/test_environment_boundary.py checks this.
"""
