"""CareChat's app library: content, case store, identity, review rules, gateway and CLI.

Everything here runs in the *app* environment (rasa-sdk, SQLAlchemy 2.x), except
``bot.engine``, which runs inside the Rasa server (Rasa, spaCy, scikit-learn), and
``bot.safeguarding``, plain Python (standard library and PyYAML) that runs in both: the
same safeguarding check guards every message inside Rasa and in the gateway.
"""
