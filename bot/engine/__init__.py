"""Engine-side code: runs inside the Rasa server's environment (Rasa 3.6, spaCy 3.4).

Only import Rasa, spaCy and the standard library here: the engine environment pins old
SQLAlchemy and aiohttp, so app code must never be imported from this package.
"""
