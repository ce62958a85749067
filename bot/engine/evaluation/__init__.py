"""Engine-side evaluation: held-out and blind NLU figures, safeguarding sets, test stories and
the turn profiler, all through a trained Rasa model (engine environment).
``make eval`` runs ``run_eval``."""
