"""Engine-side code: runs in the Rasa server's environment (Rasa 3.6, spaCy 3.4, scikit-learn).

- ``safeguarding_component``, ``safeguarding_classifier``: the safeguarding check inside NLU.
- ``meaning_component``, ``meaning``, ``sentence_encoder``: DIET's intent ranking blended with one
  from MiniLM sentence embeddings; ``encoder_files`` fetches the encoder's pinned weights.
- ``card_search_component``, ``card_search``: the lexical card search.
- ``spacy_pipeline``: builds the offline spaCy pipeline and its care-term ruler.
- ``rasa_server``: starts ``rasa run`` with CareChat's patches.
- ``evaluation``: figures through a trained model (``make eval``).

It may import the shared modules (``bot.knowledge``, ``bot.safeguarding``, ``bot.settings``,
``bot.ops.training``) but never app-only code (case store, gateway, actions):
tests/unit/test_environment_boundary.py checks this.
"""
