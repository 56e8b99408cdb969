"""A corpus of malformed batch files, generated from a real simulated month: each file is one valid file with one
value, line or byte changed, and the reason its rejection must give. Against the real PostgreSQL: 0 wrongly
accepted, 0 crashes, and each rejected file leaves the warehouse as it was (only its rejection is recorded)."""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import random
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from hospsim.warehouse import Ingestor, schema
from tests.warehouse.conftest import copy_batch, warehouse_params

pytestmark = pytest.mark.services

LOS = "length_of_stay_days must be a finite number of days"
DISTANCE = "distance_km must be a finite distance"
SEX = "sex must be F or M"


@dataclass(frozen=True)
class Case:
    name: str           # the file name it is written under in batch/
    what: str           # what was changed
    body: bytes
    expected: str       # a part of the rejection's reason


@dataclass(frozen=True)
class Sample:
    name: str
    header: list[str]
    rows: list[list[str]]

    def col(self, row: list[str], column: str) -> str:
        return row[self.header.index(column)]

    def body(self, rows: list[list[str]] | None = None, delimiter: str = ",") -> bytes:
        out = io.StringIO()
        writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
        writer.writerow(self.header)
        writer.writerows(self.rows if rows is None else rows)
        return out.getvalue().encode("utf-8")


def read(path: Path) -> Sample:
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    return Sample(path.name, rows[0], rows[1:])


def shifted(stamp: str, **delta) -> str:
    return (dt.datetime.fromisoformat(stamp) + dt.timedelta(**delta)).isoformat()


# A value rule: (column, value or f(sample, row) -> value, expected reason, which rows may take it).
Rule = tuple[str, "str | Callable[[Sample, list[str]], str]", str, "Callable[[Sample, list[str]], bool] | None"]


def value_rules(start: dt.date) -> dict[str, list[Rule]]:
    later = start.isoformat() + "T00:00:00"

    def after_day_one(s, r):        # discharges of stays begun after day one: their admission is in the warehouse
        return s.col(r, "admit_time") >= shifted(later, days=1)

    def inpatient(s, r):
        return s.col(r, "ward") != "emergency"

    def emergency(s, r):
        return s.col(r, "ward") == "emergency"

    colours = {"red": "blue", "orange": "green", "yellow": "red", "green": "orange", "blue": "yellow"}
    return {
        "visitors": [
            ("age", "250", "age must be 0..120", None), ("age", "121", "age must be 0..120", None),
            ("age", "-1", "age must be 0..120", None),
            ("age", "NaN", "invalid input syntax for type smallint", None),
            ("sex", "X", SEX, None), ("sex", "f", SEX, None), ("sex", "", 'null value in column "sex"', None),
            ("departure_time", lambda s, r: shifted(s.col(r, "arrival_time"), hours=-1),
             "departure_time is before arrival_time", None),
            ("triage_color", lambda s, r: colours[s.col(r, "triage_color")], "triage_color is not the colour", None),
            ("triage", "9", "triage must be 1..5", None),
            ("person_id", "99999999", "person_id is not in the warehouse", None),
            ("hospital_id", "H99", "hospital_id is not a hospital", None),
            ("arrival_time", "2025-02-30T10:00:00", "out of range", None),
            ("arrival_time", "1900-01-01T10:00:00", "outside the warehouse calendar", None),
            ("disposition", "left", "disposition must be", None),
            ("sex", lambda s, r: {"F": "M", "M": "F"}[s.col(r, "sex")], "sex or age differs from the person's", None),
            ("age", lambda s, r: str(min(int(s.col(r, "age")) + 5, 120) if int(s.col(r, "age")) < 115 else 0),
             "sex or age differs from the person's", None),
        ],
        "admissions": [
            ("length_of_stay_days", v, LOS, None) for v in ("NaN", "Infinity", "-Infinity", "1e308", "-1", "400")
        ] + [
            ("length_of_stay_days", "1e309", "out of range for type double precision", None),
            ("length_of_stay_days", lambda s, r: str(float(s.col(r, "length_of_stay_days")) + 1),
             "length_of_stay_days differs from planned_discharge_time - admit_time", None),
            ("planned_discharge_time", lambda s, r: shifted(s.col(r, "admit_time"), days=-1),
             "planned_discharge_time (or discharge_time) is before admit_time", None),
            ("ward", "oncology", "is not a ward of params region.hospitals", None),
            ("type", "urgent", "type must be emergency or elective", None),
            ("person_id", "99999999", "person_id is not in the warehouse", None),
        ],
        "discharges": [
            ("length_of_stay_days", v, LOS, None) for v in ("NaN", "Infinity", "1e308", "-2")
        ] + [
            ("discharge_time", lambda s, r: shifted(s.col(r, "admit_time"), hours=-1),
             "discharge_time is before admit_time", None),
            ("admission_id", "A20991231-999999", "admission_id is not in the warehouse", after_day_one),
            ("bed", "ZZ-99", "differs from the admission's", after_day_one),
            ("person_id", lambda s, r: str(int(s.col(r, "person_id")) + 1), "differs from the admission's",
             after_day_one),
            ("hospital_id", "H99", "is not a ward of params region.hospitals", None),
        ],
        "census": [
            ("occupied", lambda s, r: str(int(s.col(r, "beds")) + 1), "occupied exceeds beds", inpatient),
            ("occupied", "999", "occupied exceeds beds", inpatient),
            ("occupied", "999", "occupied exceeds the emergency ward", emergency),
            ("beds", "5000", "beds differs from the ward's beds", None),
            ("occupied", "-1", "occupied must be >= 0", None), ("admitted", "-3", "admitted must be >= 0", None),
            ("date", "2025-01-01", "date differs from the date in the file name", None),
            ("ward", "oncology", "is not a ward of params region.hospitals", None),
            ("occupied", "NaN", "invalid input syntax for type integer", None),
        ],
        "transfers": [
            ("distance_km", v, DISTANCE, None) for v in ("NaN", "Infinity", "-1", "30000")
        ] + [
            ("departure_time", lambda s, r: shifted(s.col(r, "request_time"), hours=-1), "times out of order", None),
            ("reason", "boredom", "reason must be capacity or specialty", None),
        ],
        "transports": [
            ("distance_km", v, DISTANCE, None) for v in ("NaN", "Infinity", "-5", "1e308")
        ] + [
            ("pickup_time", lambda s, r: shifted(s.col(r, "dispatch_time"), hours=-1), "times out of order", None),
            ("priority", "7", "priority must be 1..3", None),
            ("hospital_id", "H99", "hospital_id is not a hospital", None),
        ],
        "population": [
            ("lat", "NaN", "lat must be -90..90", None), ("lat", "91", "lat must be -90..90", None),
            ("lon", "-Infinity", "lon -180..180", None),
            ("visit_risk", "NaN", "visit_risk and admit_risk must be finite", None),
            ("admit_risk", "Infinity", "visit_risk and admit_risk must be finite", None),
            ("visit_risk", "-1", "visit_risk and admit_risk must be finite", None),
            ("sex", "X", SEX, None),
            ("birth_date", "1800-01-01", "birth_date is after the first simulated day or more than 120 years", None),
            ("birth_date", "2030-01-01", "birth_date is after the first simulated day or more than 120 years", None),
            ("home_hospital", "H99", "home_hospital is not a hospital", None),
        ],
        "reserve": [("sex", "X", SEX, None), ("role", "surgeon", "role is not a workforce role", None)],
        "schedules": [
            ("shift_end", lambda s, r: shifted(s.col(r, "shift_start"), hours=-1), "shift_end is not after", None),
            ("shift_end", lambda s, r: shifted(s.col(r, "shift_start"), hours=30), "a shift longer than 24 hours",
             None),
            ("staff_id", "S999999", "staff_id is not in the warehouse", None),
            ("date", "2025-05-02", "date is outside the month in the file name", None),
        ],
        "staff_events": [("event", "promotion", "event must be hire, retirement or resignation", None),
                         ("staff_id", "S999999", "staff_id is not in the warehouse", None)],
        "staff_active": [("role", "janitor", "role is not a workforce role", None)],
    }


def value_cases(samples: dict[str, Sample], start: dt.date, variants: int) -> list[Case]:
    """One case per rule and row variant (the first and the last row that may take the value)."""
    cases = []
    for kind, rules in value_rules(start).items():
        sample = samples[kind]
        for column, value, expected, fits in rules:
            rows = [i for i, r in enumerate(sample.rows) if fits is None or fits(sample, r)]
            assert rows, f"no row of {sample.name} fits the rule on {column}"
            for i in sorted({rows[0], rows[-1]})[:variants]:
                changed = [list(r) for r in sample.rows]
                new = value(sample, changed[i]) if callable(value) else value
                changed[i][sample.header.index(column)] = new
                cases.append(Case(sample.name, f"{kind}: {column} = {new!r} on row {i + 1}", sample.body(changed),
                                  expected))
    return cases


def transfer_to_itself(sample: Sample) -> Case:
    rows = [list(r) for r in sample.rows]
    rows[0][sample.header.index("destination_hospital_id")] = sample.col(rows[0], "origin_hospital_id")
    rows[0][sample.header.index("ward")] = "med_surg"       # a ward the origin has: only the ends are wrong
    return Case(sample.name, "transfers: destination = origin", sample.body(rows), "are the same hospital")


def changed_loaded_cases(loaded: dict[str, Sample]) -> list[Case]:
    """Files already in the ledger, sent again with one value changed."""
    edits = {"census": ("admitted", lambda v: str(int(v) + 1)), "visitors": ("age", lambda v: str(int(v) + 1)),
             "people": ("name", lambda v: v + " Jr"), "staff": ("name", lambda v: v + " Jr")}
    cases = []
    for kind, (column, edit) in edits.items():
        sample = loaded[kind]
        rows = [list(r) for r in sample.rows]
        i = sample.header.index(column)
        rows[-1][i] = edit(rows[-1][i])
        cases.append(Case(sample.name, f"{kind}: loaded before, {column} changed", sample.body(rows),
                          "was loaded before with other content"))
    return cases


def shape_cases(sample: Sample) -> list[Case]:
    """Bytes and lines that are not a CSV file of the kind (on a visitors file)."""
    body, name = sample.body(), sample.name
    rng = random.Random(16)
    garbage = bytes(rng.getrandbits(8) for _ in range(4096))
    first = body.index(b"\n") + 1
    lines = body.split(b"\n")
    return [
        Case(name, "4 KiB of random bytes", garbage, "not a CSV text file"),
        Case(name, "4 KiB of random bytes ending in a line end", garbage[:-1] + b"\n", "not a CSV text file"),
        Case(name, "a NUL byte in a row", body[:first + 3] + b"\0" + body[first + 3:], "NUL byte"),
        Case(name, "invalid UTF-8 in a row", body[:first + 3] + b"\xc3\x28" + body[first + 3:], "not UTF-8"),
        Case(name, "empty", b"", "empty file"),
        Case(name, "only a BOM", b"\xef\xbb\xbf", "empty file"),
        Case(name, "cut inside the last line", body[:-5], "truncated"),
        Case(name, "a renamed column", body.replace(b"triage_color", b"triage_colour", 1), "columns do not match"),
        Case(name, "semicolons", sample.body(delimiter=";"), "must be comma-separated"),
        Case(name, "an extra field", b"\n".join([*lines[:2], lines[2] + b",1", *lines[3:]]), "extra data"),
        Case(name, "a short row", b"\n".join([*lines[:2], lines[2].rsplit(b",", 1)[0], *lines[3:]]),
             "missing data for column"),
        Case(name, "a row twice", body + lines[1] + b"\n", "twice"),
        Case(name, "an unterminated quote", body[:-1] + b'"\n', "unterminated CSV quoted field"),
        Case("daily_visitors_2025-02-30.csv", "a date in the name that is no date", body, "not a calendar date"),
        Case("visitors.csv", "a name that is no kind", body, "not a file kind of the simulation"),
    ]


@pytest.fixture(scope="module")
def corpus_lab(pg, month, tmp_path_factory):
    """A warehouse holding the month's people and staff, the admissions of every day but the last, one census
    and one visitors file; the samples the corpus mutates (files not loaded, and some loaded ones)."""
    params_month, _, source = month
    params = warehouse_params(tmp_path_factory.mktemp("corpus"), pg, "test_corpus")
    days = sorted(p.name[7:17] for p in source.glob("census_*.csv"))
    with_rows = [d for d in days if len(read(source / f"transfers_{d}.csv").rows)]
    with_transports = [d for d in days if len(read(source / f"emergency_transports_{d}.csv").rows)]
    loaded_names = {"people_data.csv", "staff_data.csv", f"census_{days[0]}.csv", f"daily_visitors_{days[0]}.csv",
                    *(f"admissions_{d}.csv" for d in days[:-1])}
    copy_batch(source, params, loaded_names)
    conn = pg.connect()
    ingestor = Ingestor(params, conn, workers=1)
    assert {o.status for o in ingestor.run_once()} == {"ingested"}
    targets = {"visitors": f"daily_visitors_{days[1]}.csv", "admissions": f"admissions_{days[-1]}.csv",
               "discharges": f"discharges_{days[-2]}.csv", "census": f"census_{days[1]}.csv",
               "transfers": f"transfers_{with_rows[-1]}.csv",
               "transports": f"emergency_transports_{with_transports[-1]}.csv",
               "population": "population_with_illnesses.csv", "reserve": "reserve_pool.csv",
               "schedules": "schedules_2025_03.csv", "staff_events": "staff_events.csv",
               "staff_active": "staff_active_2025_Q1.csv"}
    samples = {kind: read(source / name) for kind, name in targets.items()}
    loaded = {"census": read(source / f"census_{days[0]}.csv"), "visitors": read(source / f"daily_visitors_{days[0]}.csv"),
              "people": read(source / "people_data.csv"), "staff": read(source / "staff_data.csv")}
    yield ingestor, samples, loaded, params_month.simulation.start_date, source
    ingestor.close()
    schema.drop(conn, params)
    conn.close()


def run_corpus(ingestor: Ingestor, cases: list[Case]) -> tuple[dict[str, list[str]], int]:
    """Each case alone through one pass: what went wrong, by kind of failure, and how many were quarantined."""
    conn, params = ingestor.conn, ingestor.params
    failures: dict[str, list[str]] = {"wrongly accepted": [], "crashed": [], "wrong reason": [], "left rows": []}
    quarantined = 0
    before = schema.table_counts(conn, params)
    for case in cases:
        (ingestor.batch / case.name).write_bytes(case.body)
        try:
            outcomes = ingestor.run_once()
        except Exception as exc:            # noqa: BLE001 - a crash is what this corpus counts
            conn.rollback()
            failures["crashed"].append(f"{case.what}: {type(exc).__name__}: {exc}")
            for path in ingestor.batch.iterdir():
                path.unlink()
            continue
        statuses = [(o.name, o.status) for o in outcomes]
        if ("ingested" in {s for _, s in statuses}) or statuses != [(case.name, "rejected")]:
            failures["wrongly accepted" if any(s == "ingested" for _, s in statuses) else "wrong reason"].append(
                f"{case.what}: {[o.line() for o in outcomes]}")
            before = schema.table_counts(conn, params)
            continue
        reason = outcomes[0].reason
        quarantined += 1
        noted = (ingestor.rejected / f"{case.name}.reason.txt").read_text(encoding="utf-8")
        if case.expected not in reason or not noted.startswith(f"{case.name}: {reason}"):
            failures["wrong reason"].append(f"{case.what}: expected {case.expected!r}, got {reason!r}")
        if (ingestor.rejected / case.name).read_bytes() != case.body or any(ingestor.batch.iterdir()):
            failures["wrong reason"].append(f"{case.what}: the file is not (only) in rejected/")
        counts = schema.table_counts(conn, params)
        rejections = counts.pop("ingest_rejection") - before.pop("ingest_rejection")
        if counts != before or rejections != 1:
            failures["left rows"].append(f"{case.what}: {rejections} rejections, tables {before} -> {counts}")
        before = schema.table_counts(conn, params)
    return failures, quarantined


def check_corpus(corpus_lab, cases: list[Case]) -> None:
    ingestor = corpus_lab[0]
    failures, quarantined = run_corpus(ingestor, cases)
    print(f"\ncorpus: {len(cases)} malformed files, {quarantined} quarantined in rejected/ "
          f"({len(failures['wrong reason'])} with another reason than expected), "
          f"{len(failures['wrongly accepted'])} wrongly accepted, {len(failures['crashed'])} crashes")
    assert failures == {"wrongly accepted": [], "crashed": [], "wrong reason": [], "left rows": []}
    stray = {}
    with ingestor.conn.cursor() as cur:
        for table in schema.table_counts(ingestor.conn, ingestor.params):
            cur.execute("SELECT 1 FROM information_schema.columns WHERE table_schema = %s AND table_name = %s "
                        "AND column_name = 'file_id'", (ingestor.schema, table))
            if table != "ingest_ledger" and cur.fetchone():
                cur.execute(f'SELECT count(*) FROM "{ingestor.schema}"."{table}" WHERE file_id NOT IN '
                            f'(SELECT file_id FROM "{ingestor.schema}".ingest_ledger)')
                stray[table] = cur.fetchone()[0]
    ingestor.conn.commit()
    assert set(stray.values()) == {0}, f"rows of a file that is not in the ledger: {stray}"


def test_malformed_files_are_rejected_with_their_reason_and_leave_nothing(corpus_lab):
    """Each value rule on the first and the last row that may take it, a transfer to itself, loaded files sent
    again changed, and byte-level shapes. Then every sample, unchanged, is ingested: the corpus's files were
    rejected for their one change, not for something the samples already had. (About 20 s: no marker needed.)"""
    ingestor, samples, loaded, start, source = corpus_lab
    cases = [*value_cases(samples, start, variants=2), transfer_to_itself(samples["transfers"]),
             *changed_loaded_cases(loaded), *shape_cases(samples["visitors"])]
    assert len(cases) >= 100
    check_corpus(corpus_lab, cases)
    for sample in samples.values():
        shutil.copy2(source / sample.name, ingestor.batch / sample.name)
    outcomes = ingestor.run_once()
    assert {o.status for o in outcomes} == {"ingested"}, [o.line() for o in outcomes if o.status != "ingested"]


def test_a_bom_is_accepted_and_hashed_with_the_file(corpus_lab):
    ingestor, _, _, _, source = corpus_lab
    path = sorted(source.glob("census_*.csv"))[2]          # a day the corpus does not touch
    body = b"\xef\xbb\xbf" + path.read_bytes()
    (ingestor.batch / path.name).write_bytes(body)
    (outcome,) = ingestor.run_once()
    assert outcome.status == "ingested" and outcome.rows == len(read(path).rows), outcome.line()
    assert outcome.sha256 == hashlib.sha256(body).hexdigest()
    (ingestor.batch / path.name).write_bytes(body)
    assert [o.status for o in ingestor.run_once()] == ["skipped"], "the same bytes again: already loaded"
