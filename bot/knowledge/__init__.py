"""What CareChat knows, in plain Python that both environments can import (stdlib and PyYAML).

- ``cards``: what a card is (one per topic, three readers' versions), finding and rendering it.
- ``card_loader``: reading cards, sources and council profiles from ``content/``.
- ``card_checks``: the checks content must pass before it is served.
- ``terms``: matching people's words (typos, plurals, "S.G.O.s") to card names.
- ``councils``: what differs by council (contacts, review practice, local offer).
- ``comparisons``: two legal orders side by side, from structured national facts.
- ``choose_card``: which card answers a parsed message (intent, named terms, scope).
- ``scope``: whether a message is about our topics at all.
- ``fallback``: the two likeliest topics, then keyword matches, when unsure.
- ``who_to_ask``: the right person to ask, for each reader.
- ``safety_reply``: the full safety reply and the check-in, from the council profile.
"""
