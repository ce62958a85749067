"""Import a council's case-store export: a folder of four CSV files, and optionally a fifth.

Why this shape: councils can produce CSV from any case-management system, and a
folder of one file per table is easy to check by eye. Every row is checked before
anything is written; if any row is wrong nothing is written and the report lists
every problem (file, line, column, why). Rows are matched on the council's own
reference numbers, so importing the same files again changes nothing. An import adds
and updates rows; it never deletes them. The report never repeats cell values, so it
can be printed or logged without leaking personal data.

Files (UTF-8, Excel's UTF-8 BOM is fine; first line is the header; every column below
must be in the header, in any order; extra columns are ignored; a * marks a value
that must not be blank; dates are YYYY-MM-DD or DD/MM/YYYY; yes/no values accept
yes/no, true/false, y/n, 1/0; a row that is completely blank is skipped):

workers.csv: one row per social worker, IRO or personal adviser
    worker_ref*      the council's unique reference for the worker
    kind*            social_worker, iro or personal_adviser
    name*            name shown to the young person
    phone, email     work contact details (optional)
    availability     when they can be reached, in plain words (optional)

advocates.csv: one row per advocate
    advocate_ref*    the council's unique reference for the advocate
    name*, organisation*
    phone, email, availability   (optional)

young_people.csv: one row per child in care or care leaver
    case_ref*              the unique case reference (what the sign-in token carries)
    first_name*            used to greet them, never to find them
    date_of_birth*         date
    council*               council id, e.g. north_yorkshire
    legal_status           e.g. Care Order, Section 20 (optional)
    looked_after_since     date they came into care (optional; blank for most care leavers)
    care_leaver*           yes/no
    social_worker_ref      a worker_ref of kind social_worker (optional)
    iro_ref                a worker_ref of kind iro (optional)
    personal_adviser_ref   a worker_ref of kind personal_adviser (optional)
    advocate_ref           an advocate_ref (optional)

reviews.csv: one row per review meeting, booked or held
    review_ref*      the council's unique reference for the meeting
    case_ref*        a case_ref from young_people.csv or already in the store
    kind*            initial, second, subsequent or pathway_plan
    booked_date      date it is booked for (optional)
    held_date        date it actually took place (optional; blank if not yet held)
    chair_ref        a worker_ref of kind iro (optional)
    At least one of booked_date and held_date must be given.

care_episodes.csv (optional; without it episodes are left as they are): one row per
episode in care, for the care-leaver rules
    episode_ref*     the council's unique reference for the episode
    case_ref*        a case_ref from young_people.csv or already in the store
    start_date*      date the episode began; not in the future, not before date_of_birth
    end_date         date it ended (optional; blank while it is still open; not before
                     start_date, not in the future)
    legal_status*    s20, s31, s38, epo, placement_order, remand, police_protection, sgo or adoption
    One young person's episodes must not overlap, counting the ones already stored; an
    episode may start on the day the previous one ended.

References (``*_ref``) may point at rows in the same import or already in the store.
Blank optional values clear what was stored before: the export is the truth.
"""
from __future__ import annotations

import csv
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.personal.casestore.models import (
    EPISODE_LEGAL_STATUSES,
    REVIEW_KINDS,
    WORKER_KINDS,
    Advocate,
    CareEpisode,
    Review,
    Worker,
    YoungPerson,
)

log = logging.getLogger(__name__)

# Why codes used in ImportIssue.why
MISSING_FILE = "missing_file"
MISSING_COLUMN = "missing_column"
BAD_ENCODING = "bad_encoding"
MISSING_FIELD = "missing_field"
BAD_DATE = "bad_date"
BAD_VALUE = "bad_value"
DUPLICATE = "duplicate"
UNKNOWN_REFERENCE = "unknown_reference"
WRONG_KIND = "wrong_kind"
OVERLAP = "overlap"

WORKERS, ADVOCATES, YOUNG_PEOPLE, REVIEWS = "workers.csv", "advocates.csv", "young_people.csv", "reviews.csv"
CARE_EPISODES = "care_episodes.csv"
#: Files an export may leave out; a missing optional file leaves its table as it is.
OPTIONAL_FILES = frozenset({CARE_EPISODES})

#: Columns each file's header must hold, and which of them must have a value.
COLUMNS: dict[str, tuple[str, ...]] = {
    WORKERS: ("worker_ref", "kind", "name", "phone", "email", "availability"),
    ADVOCATES: ("advocate_ref", "name", "organisation", "phone", "email", "availability"),
    YOUNG_PEOPLE: ("case_ref", "first_name", "date_of_birth", "council", "legal_status", "looked_after_since",
                   "care_leaver", "social_worker_ref", "iro_ref", "personal_adviser_ref", "advocate_ref"),
    REVIEWS: ("review_ref", "case_ref", "kind", "booked_date", "held_date", "chair_ref"),
    CARE_EPISODES: ("episode_ref", "case_ref", "start_date", "end_date", "legal_status"),
}
REQUIRED: dict[str, tuple[str, ...]] = {
    WORKERS: ("worker_ref", "kind", "name"),
    ADVOCATES: ("advocate_ref", "name", "organisation"),
    YOUNG_PEOPLE: ("case_ref", "first_name", "date_of_birth", "council", "care_leaver"),
    REVIEWS: ("review_ref", "case_ref", "kind"),
    CARE_EPISODES: ("episode_ref", "case_ref", "start_date", "legal_status"),
}
DATE_COLUMNS = {"date_of_birth", "looked_after_since", "booked_date", "held_date", "start_date", "end_date"}
#: Longest value per column (matches the models, so PostgreSQL never rejects a row late).
MAX_LENGTH = {
    "worker_ref": 64, "advocate_ref": 64, "case_ref": 64, "review_ref": 64, "episode_ref": 64, "name": 200, "organisation": 200,
    "phone": 64, "email": 320, "first_name": 100, "council": 64, "legal_status": 100,
}
_TRUE = {"yes", "y", "true", "1"}
_FALSE = {"no", "n", "false", "0"}
_WORKER_REF_KIND = {"social_worker_ref": "social_worker", "iro_ref": "iro",
                    "personal_adviser_ref": "personal_adviser", "chair_ref": "iro"}


@dataclass(frozen=True)
class ImportIssue:
    """One problem: where it is and why; ``detail`` never repeats the cell's value."""

    file: str
    line: int
    column: str | None
    why: str
    detail: str

    def __str__(self) -> str:
        where = f"{self.file} line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.why}: {self.detail}"


@dataclass
class ImportReport:
    """What an import found and did. ``committed`` is False whenever there are issues."""

    issues: list[ImportIssue] = field(default_factory=list)
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    committed: bool = False

    @property
    def ok(self) -> bool:
        return not self.issues

    def summary(self) -> str:
        """A few lines for the CLI: counts, or every issue."""
        if self.issues:
            lines = [f"Import refused: {len(self.issues)} problem(s); nothing was changed."]
            lines += [f"  {issue}" for issue in self.issues]
            return "\n".join(lines)
        parts = [f"{name}: {self.created.get(name, 0)} new, {self.updated.get(name, 0)} updated, "
                 f"{self.unchanged.get(name, 0)} unchanged" for name in COLUMNS
                 if name not in OPTIONAL_FILES or name in self.created]
        return "Import done. " + "; ".join(parts)


@dataclass
class _Row:
    file: str
    line: int
    values: dict[str, Any]
    #: False once any cell is found wrong, so later checks skip values that are not typed.
    ok: bool = True


def _read(folder: Path, name: str, issues: list[ImportIssue]) -> list[_Row]:
    """Read one CSV into stripped string rows; file-level problems go into ``issues``."""
    path = folder / name
    if not path.is_file():
        issues.append(ImportIssue(name, 0, None, MISSING_FILE, "the file is missing (a header-only file is fine)"))
        return []
    rows: list[_Row] = []
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = [h.strip() for h in (reader.fieldnames or [])]
            reader.fieldnames = header
            missing = [c for c in COLUMNS[name] if c not in header]
            for column in missing:
                issues.append(ImportIssue(name, 1, column, MISSING_COLUMN, "the header has no such column"))
            if missing:
                return []
            for raw in reader:
                line = reader.line_num
                if None in raw:
                    issues.append(ImportIssue(name, line, None, BAD_VALUE, "more values than header columns"))
                    continue
                values = {c: (raw.get(c) or "").strip() for c in COLUMNS[name]}
                if not any(values.values()):
                    continue
                rows.append(_Row(name, line, values))
    except UnicodeDecodeError:
        issues.append(ImportIssue(name, 0, None, BAD_ENCODING, "the file is not UTF-8 text"))
        return []
    return rows


def _parse_date(text: str) -> date:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def _check_values(row: _Row, issues: list[ImportIssue], today: date) -> bool:
    """Turn a row's strings into typed values in place; return False if any cell is wrong."""
    good = True

    def bad(column: str, why: str, detail: str) -> None:
        nonlocal good
        good = False
        issues.append(ImportIssue(row.file, row.line, column, why, detail))

    values = row.values
    for column in REQUIRED[row.file]:
        if not values[column]:
            bad(column, MISSING_FIELD, "this value must not be blank")
    for column, text in values.items():
        if not text:
            values[column] = None
        elif column in DATE_COLUMNS:
            try:
                values[column] = _parse_date(text)
            except ValueError:
                bad(column, BAD_DATE, "not a real date in YYYY-MM-DD or DD/MM/YYYY form")
        elif column in MAX_LENGTH and len(text) > MAX_LENGTH[column]:
            bad(column, BAD_VALUE, f"longer than {MAX_LENGTH[column]} characters")
    kind = values.get("kind")
    allowed = WORKER_KINDS if row.file == WORKERS else REVIEW_KINDS
    if kind and row.file in (WORKERS, REVIEWS) and kind not in allowed:
        bad("kind", BAD_VALUE, "must be one of " + ", ".join(allowed))
    if row.file == YOUNG_PEOPLE and values["care_leaver"] is not None:
        flag = str(values["care_leaver"]).lower()
        if flag in _TRUE:
            values["care_leaver"] = True
        elif flag in _FALSE:
            values["care_leaver"] = False
        else:
            bad("care_leaver", BAD_VALUE, "must be yes or no")
    if row.file == YOUNG_PEOPLE:
        born, since = values["date_of_birth"], values["looked_after_since"]
        if isinstance(born, date) and isinstance(since, date) and since < born:
            bad("looked_after_since", BAD_DATE, "earlier than date_of_birth")
    if row.file == REVIEWS and not values["booked_date"] and not values["held_date"] and good:
        bad("booked_date", MISSING_FIELD, "a review needs a booked_date or a held_date")
    if row.file == CARE_EPISODES:
        for column, why, detail in _episode_problems(values, today):
            bad(column, why, detail)
    return good


def _episode_problems(values: dict[str, Any], today: date) -> list[tuple[str, str, str]]:
    """What is wrong with one episode on its own: (column, why, detail) for each problem."""
    problems = []
    start, end, status = values["start_date"], values["end_date"], values["legal_status"]
    if status is not None and status not in EPISODE_LEGAL_STATUSES:
        problems.append(("legal_status", BAD_VALUE, "must be one of " + ", ".join(EPISODE_LEGAL_STATUSES)))
    if isinstance(start, date) and start > today:
        problems.append(("start_date", BAD_DATE, "in the future"))
    if isinstance(end, date) and end > today:
        problems.append(("end_date", BAD_DATE, "in the future (leave it blank while the episode is open)"))
    if isinstance(start, date) and isinstance(end, date) and end < start:
        problems.append(("end_date", BAD_DATE, "earlier than start_date"))
    return problems


def _unique(rows: list[_Row], key: str, issues: list[ImportIssue]) -> dict[str, _Row]:
    """Index rows by natural key; a repeated key is a duplicate issue on the later line."""
    seen: dict[str, _Row] = {}
    for row in rows:
        ref = row.values[key]
        if ref is None:
            continue
        if ref in seen:
            issues.append(ImportIssue(row.file, row.line, key, DUPLICATE,
                                      f"same {key} as line {seen[ref].line}"))
            continue
        seen[ref] = row
    return seen


def _existing(session: Session, column: Any, refs: Iterable[str]) -> dict[str, Any]:
    """Load stored rows whose natural key is in ``refs`` (chunked for big exports)."""
    refs = list(refs)
    found: dict[str, Any] = {}
    entity = column.class_
    for start in range(0, len(refs), 500):
        chunk = refs[start:start + 500]
        for obj in session.scalars(select(entity).where(column.in_(chunk))):
            found[getattr(obj, column.key)] = obj
    return found


def _all_refs(session: Session, column: Any) -> set[str]:
    return set(session.scalars(select(column)))


def _check_references(
    session: Session, workers: dict[str, _Row], advocates: dict[str, _Row],
    people: dict[str, _Row], reviews: dict[str, _Row], episodes: dict[str, _Row], issues: list[ImportIssue],
) -> None:
    """Every *_ref must name a row in this import or in the store, of the right kind."""
    worker_kinds: dict[str, str | None] = {
        ref: kind for ref, kind in session.execute(select(Worker.worker_ref, Worker.kind)).tuples()
    }
    # A worker row with a bad kind is already reported; None skips the kind check for it.
    worker_kinds.update({ref: row.values["kind"] if row.values["kind"] in WORKER_KINDS else None
                         for ref, row in workers.items()})
    advocate_refs = _all_refs(session, Advocate.advocate_ref) | set(advocates)
    case_refs = _all_refs(session, YoungPerson.case_ref) | set(people)

    for row in [*people.values(), *reviews.values(), *episodes.values()]:
        for column, value in row.values.items():
            if value is None:
                continue
            if column in _WORKER_REF_KIND:
                if value not in worker_kinds:
                    issues.append(ImportIssue(row.file, row.line, column, UNKNOWN_REFERENCE,
                                              "no such worker_ref in workers.csv or the store"))
                elif worker_kinds[value] not in (None, _WORKER_REF_KIND[column]):
                    issues.append(ImportIssue(row.file, row.line, column, WRONG_KIND,
                                              f"that worker is not a {_WORKER_REF_KIND[column]}"))
            elif column == "advocate_ref" and value not in advocate_refs:
                issues.append(ImportIssue(row.file, row.line, column, UNKNOWN_REFERENCE,
                                          "no such advocate_ref in advocates.csv or the store"))
            elif row.file in (REVIEWS, CARE_EPISODES) and column == "case_ref" and value not in case_refs:
                issues.append(ImportIssue(row.file, row.line, column, UNKNOWN_REFERENCE,
                                          "no such case_ref in young_people.csv or the store"))


@dataclass(frozen=True)
class _Span:
    """One episode's dates for the overlap check; ``line`` is None for an episode already stored."""

    start: date
    end: date | None
    line: int | None


def _overlaps(earlier: _Span, later: _Span) -> bool:
    """Half-open periods: starting on the day the earlier one ended is a change, not an overlap."""
    return later.start == earlier.start or earlier.end is None or later.start < earlier.end


def _stored_episodes(session: Session, case_refs: set[str], skip: set[str]) -> dict[str, list[_Span]]:
    """Stored episodes of these young people, except those this import replaces (by episode_ref)."""
    spans: dict[str, list[_Span]] = {}
    refs = sorted(case_refs)
    for start in range(0, len(refs), 500):
        query = (select(YoungPerson.case_ref, CareEpisode.episode_ref, CareEpisode.start_date, CareEpisode.end_date)
                 .join(CareEpisode, CareEpisode.young_person_id == YoungPerson.id)
                 .where(YoungPerson.case_ref.in_(refs[start:start + 500])))
        for case_ref, episode_ref, begun, ended in session.execute(query).tuples():
            if episode_ref not in skip:
                spans.setdefault(case_ref, []).append(_Span(begun, ended, None))
    return spans


def _births(session: Session, people: dict[str, _Row], case_refs: set[str]) -> dict[str, date]:
    """Each young person's date of birth as it will be after this import."""
    births: dict[str, date] = {}
    stored = sorted(case_refs - set(people))
    for start in range(0, len(stored), 500):
        query = select(YoungPerson.case_ref, YoungPerson.date_of_birth).where(
            YoungPerson.case_ref.in_(stored[start:start + 500]))
        births.update(session.execute(query).tuples().all())
    births.update({ref: row.values["date_of_birth"] for ref, row in people.items()
                   if ref in case_refs and isinstance(row.values["date_of_birth"], date)})
    return births


def _check_episodes(session: Session, people: dict[str, _Row], episodes: dict[str, _Row],
                    issues: list[ImportIssue]) -> None:
    """Episodes against their young person: none before birth, none overlapping another.

    Only rows whose own cells are right take part, so a bad date is reported once. The
    check covers the episodes already stored too, so the store never ends up overlapping.
    """
    known = _all_refs(session, YoungPerson.case_ref) | set(people)
    rows = [r for r in episodes.values() if r.ok and r.values["case_ref"] in known]
    case_refs = {r.values["case_ref"] for r in rows}
    births = _births(session, people, case_refs)
    spans = _stored_episodes(session, case_refs, set(episodes))
    for row in rows:
        born = births.get(row.values["case_ref"])
        if born is not None and row.values["start_date"] < born:
            issues.append(ImportIssue(row.file, row.line, "start_date", BAD_DATE,
                                      "earlier than the young person's date_of_birth"))
        spans.setdefault(row.values["case_ref"], []).append(
            _Span(row.values["start_date"], row.values["end_date"], row.line))
    for person_spans in spans.values():
        ordered = sorted(person_spans, key=lambda s: (s.start, s.line is not None, s.line or 0))
        for i, later in enumerate(ordered):
            for earlier in ordered[:i]:
                if (earlier.line is not None or later.line is not None) and _overlaps(earlier, later):
                    issues.append(_overlap_issue(earlier, later))


def _overlap_issue(earlier: _Span, later: _Span) -> ImportIssue:
    """Report on the later line of the file, naming the other line (or the stored episode)."""
    if later.line is None:
        assert earlier.line is not None
        return ImportIssue(CARE_EPISODES, earlier.line, "start_date", OVERLAP,
                           "overlaps an episode of the same young person already in the store")
    if earlier.line is None:
        return ImportIssue(CARE_EPISODES, later.line, "start_date", OVERLAP,
                           "overlaps an episode of the same young person already in the store")
    first, second = sorted((earlier.line, later.line))
    return ImportIssue(CARE_EPISODES, second, "start_date", OVERLAP,
                       f"overlaps the episode on line {first} for the same young person")


def _apply(obj: Any, fields: dict[str, Any]) -> bool:
    """Set only the fields that differ, so an identical re-import issues no UPDATE."""
    changed = False
    for name, value in fields.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def _upsert(session: Session, report: ImportReport, name: str, column: Any,
            rows: dict[str, _Row], to_fields: Any) -> dict[str, Any]:
    """Create or update one table's rows; return every row touched, by natural key."""
    stored = _existing(session, column, rows)
    created = updated = unchanged = 0
    for ref, row in rows.items():
        fields = to_fields(row.values)
        obj = stored.get(ref)
        if obj is None:
            obj = column.class_(**{column.key: ref}, **fields)
            session.add(obj)
            stored[ref] = obj
            created += 1
        elif _apply(obj, fields):
            updated += 1
        else:
            unchanged += 1
    session.flush()
    report.created[name], report.updated[name], report.unchanged[name] = created, updated, unchanged
    return stored


def _write(session: Session, report: ImportReport, workers: dict[str, _Row], advocates: dict[str, _Row],
           people: dict[str, _Row], reviews: dict[str, _Row], episodes: dict[str, _Row] | None) -> None:
    worker_objs = _upsert(session, report, WORKERS, Worker.worker_ref, workers, lambda v: {
        "kind": v["kind"], "name": v["name"], "phone": v["phone"], "email": v["email"],
        "availability": v["availability"]})
    advocate_objs = _upsert(session, report, ADVOCATES, Advocate.advocate_ref, advocates, lambda v: {
        "name": v["name"], "organisation": v["organisation"], "phone": v["phone"], "email": v["email"],
        "availability": v["availability"]})
    referenced_workers = {v for r in [*people.values(), *reviews.values()] for c, v in r.values.items()
                          if c in _WORKER_REF_KIND and v is not None}
    worker_objs.update(_existing(session, Worker.worker_ref, referenced_workers - set(worker_objs)))
    referenced_advocates = {r.values["advocate_ref"] for r in people.values() if r.values["advocate_ref"]}
    advocate_objs.update(_existing(session, Advocate.advocate_ref, referenced_advocates - set(advocate_objs)))

    def worker_id(ref: str | None) -> int | None:
        return None if ref is None else worker_objs[ref].id

    person_objs = _upsert(session, report, YOUNG_PEOPLE, YoungPerson.case_ref, people, lambda v: {
        "first_name": v["first_name"], "date_of_birth": v["date_of_birth"], "council": v["council"],
        "legal_status": v["legal_status"], "looked_after_since": v["looked_after_since"],
        "care_leaver": v["care_leaver"], "social_worker_id": worker_id(v["social_worker_ref"]),
        "iro_id": worker_id(v["iro_ref"]), "personal_adviser_id": worker_id(v["personal_adviser_ref"]),
        "advocate_id": None if v["advocate_ref"] is None else advocate_objs[v["advocate_ref"]].id})
    referenced_people = {r.values["case_ref"] for r in [*reviews.values(), *(episodes or {}).values()]}
    person_objs.update(_existing(session, YoungPerson.case_ref, referenced_people - set(person_objs)))
    _upsert(session, report, REVIEWS, Review.review_ref, reviews, lambda v: {
        "young_person_id": person_objs[v["case_ref"]].id, "kind": v["kind"], "booked_date": v["booked_date"],
        "held_date": v["held_date"], "chair_id": worker_id(v["chair_ref"])})
    if episodes is not None:  # None: the export has no care_episodes.csv, so stored episodes stay as they are
        _upsert(session, report, CARE_EPISODES, CareEpisode.episode_ref, episodes, lambda v: {
            "young_person_id": person_objs[v["case_ref"]].id, "start_date": v["start_date"],
            "end_date": v["end_date"], "legal_status": v["legal_status"]})


def import_folder(session_factory: sessionmaker[Session], folder: Path, today: date | None = None) -> ImportReport:
    """Check every row of the export in ``folder``, then write all of it or none of it.

    ``today`` (default: the real date) is what "in the future" is measured from.
    Returns the report; when ``report.ok`` is False nothing was written and
    ``report.issues`` lists every problem found.
    """
    folder = Path(folder)
    today = today or date.today()
    report = ImportReport()
    names = [n for n in COLUMNS if n not in OPTIONAL_FILES or (folder / n).is_file()]
    raw = {name: _read(folder, name, report.issues) for name in names}
    if report.issues:
        return report
    for rows in raw.values():
        for row in rows:  # bad rows stay in, so references to them are not reported twice
            row.ok = _check_values(row, report.issues, today)
    workers = _unique(raw[WORKERS], "worker_ref", report.issues)
    advocates = _unique(raw[ADVOCATES], "advocate_ref", report.issues)
    people = _unique(raw[YOUNG_PEOPLE], "case_ref", report.issues)
    reviews = _unique(raw[REVIEWS], "review_ref", report.issues)
    episodes = _unique(raw[CARE_EPISODES], "episode_ref", report.issues) if CARE_EPISODES in raw else None
    with session_factory() as session:
        _check_references(session, workers, advocates, people, reviews, episodes or {}, report.issues)
        if episodes:
            _check_episodes(session, people, episodes, report.issues)
        if report.issues:
            report.issues.sort(key=lambda i: (list(COLUMNS).index(i.file), i.line))
            log.info("case store import refused: %d issue(s)", len(report.issues))
            return report
        _write(session, report, workers, advocates, people, reviews, episodes)
        session.commit()  # one transaction: any error above rolls everything back on close
        report.committed = True
    log.info("case store import committed: %s new, %s updated",
             sum(report.created.values()), sum(report.updated.values()))
    return report
