"""CareChat's app library: content, case store, identity, review rules, gateway and CLI.

Everything here runs in the *app* environment (rasa-sdk, SQLAlchemy 2.x), except
``bot.engine``, which runs inside the Rasa server and must only import Rasa and spaCy.
"""
