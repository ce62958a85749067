"""Personal data: only ever for the young person whose signed token came with the message.

- ``identity``: minting and verifying the short-lived signed token (JWT).
- ``casestore``: the council's case store (SQLAlchemy 2 models, migrations, demo people, import).
- ``lookups``: the next review date and the advocate's contact for the signed-in person.
- ``whose_question``: whether a question is about the asker's own records or general.
- ``review_dates``: the statutory review timetable (working days, bank holidays).
- ``dates``: dates written the way people read them.
App environment only.
"""
