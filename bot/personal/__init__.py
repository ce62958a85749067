"""Personal data: only ever for the young person whose token came with the message.

- ``identity``: minting and verifying the short-lived encrypted token (JWE).
- ``portal_signin``: the council portal's one-time sign-in tokens.
- ``care_history``: a signed-in person's care episodes, for the care-leaver check.
- ``casestore``: the council's case store (SQLAlchemy 2 models, migrations, demo people, import).
- ``lookups``: the next review date and the advocate's contact for the signed-in person.
- ``review_dates``: the statutory review timetable (working days, bank holidays).
- ``dates``: dates written the way people read them.
App environment only.
"""
