"""Malformed files, generated: every one is rejected with a reason, none crashes the ingestor, none leaves rows."""
from __future__ import annotations

import csv
import io
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hospsim import filekinds
from hospsim.warehouse import Ingestor, schema
from tests.warehouse.conftest import copy_batch, warehouse_params

pytestmark = pytest.mark.services

SAMPLE_FILES = {
    "people": "people_data.csv", "population": "population_with_illnesses.csv", "staff": "staff_data.csv",
    "reserve": "reserve_pool.csv", "staff_active": "staff_active_2025_Q1.csv", "schedules": "schedules_2025_03.csv",
    "staff_events": "staff_events.csv", "census": "census_*", "visitors": "daily_visitors_*",
    "discharges": "discharges_*", "admissions": "admissions_*", "transfers": "transfers_*",
    "transports": "emergency_transports_*",
}
BAD_VALUES = ("abc", "x1", "?", "12..5", "#", "1e")
BAD_DATES = ("2025-02-30", "2025-13-01", "31/12/2025", "2025-1-1x", "2025-02-29T10:00:00", "0000-01-01")
# A value per kind that breaks a reference (unknown id) or a rule of the warehouse (a CHECK constraint).
UNKNOWN_REFS = {
    "people": ("home_hospital", "H99"), "population": ("conditions", "flu;hypertension"),
    "staff": ("hospital_id", "H99"), "reserve": ("role", "surgeon"), "staff_active": ("staff_id", "S999999"),
    "schedules": ("staff_id", "S999999"), "staff_events": ("staff_id", "S999999"), "census": ("ward", "oncology"),
    "visitors": ("person_id", "99999999"), "admissions": ("person_id", "99999999"),
    "discharges": ("hospital_id", "H99"), "transfers": ("destination_hospital_id", "H99"),
    "transports": ("hospital_id", "H99"),
}
RULE_BREAKS = {
    "people": ("sex", "X"), "population": ("sex", "U"), "staff": ("status", "fired"), "reserve": ("sex", "?"),
    "staff_active": ("role", "janitor"), "schedules": ("shift_end", "2000-01-01T00:00:00"),
    "staff_events": ("event", "promotion"), "census": ("beds", "-1"), "visitors": ("triage", "9"),
    "admissions": ("type", "urgent"), "discharges": ("length_of_stay_days", "-2.5"),
    "transfers": ("reason", "boredom"), "transports": ("priority", "7"),
}


@pytest.fixture(scope="module")
def lab(pg, month, tmp_path_factory):
    """A warehouse holding the month's people and staff (and the admissions of the discharges sample's day, which
    that file waits for), one Ingestor reused by every example, and samples."""
    _, _, source = month
    wparams = warehouse_params(tmp_path_factory.mktemp("malformed"), pg, "test_malformed")
    samples = {}
    for kind, pattern in SAMPLE_FILES.items():
        paths = sorted(source.glob(pattern), key=lambda p: (-p.stat().st_size, p.name))
        if kind == "admissions":        # not the day loaded below: a changed loaded file has a reason of its own
            paths = [p for p in paths if p.name[-14:] != samples["discharges"][0][-14:]]
        with open(paths[0], newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        samples[kind] = (paths[0].name, rows[0], rows[1:6])
        assert len(rows) > 1, f"{paths[0].name} has no rows to mutate"
    day = samples["discharges"][0][-14:-4]
    copy_batch(source, wparams, {"people_data.csv", "staff_data.csv", f"admissions_{day}.csv"})
    conn = pg.connect()
    ingestor = Ingestor(wparams, conn)
    assert {o.status for o in ingestor.run_once()} == {"ingested"}
    yield ingestor, samples
    schema.drop(conn, wparams)
    conn.close()


def serialize(header, rows, delimiter=",") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


NON_TEXT = ("bigint", "integer", "smallint", "double precision", "date", "timestamp", "boolean")
TEXT = ("text",)


SHAPES = ("drop_column", "extra_column", "rename_column", "wrong_type", "garbage", "empty", "bad_date", "unknown_ref",
          "rule_break", "duplicate_key", "wrong_delimiter", "truncated", "missing_value", "extra_field", "short_row",
          "bad_utf8", "unterminated_quote", "nul_byte", "blank_line", "header_only", "bad_name_date")
EXAMPLES_PER_SHAPE = 6      # 21 shapes x 6 = 126 malformed files a run (a BOM is accepted: test_corpus.py)


def kinds_for(shape: str, samples) -> list[str]:
    if shape == "header_only":      # legal for kinds whose day may have no rows (a day without transfers)
        return sorted(k for k in samples if not filekinds.BY_KIND[k].allow_empty)
    if shape == "bad_name_date":
        return sorted(k for k in samples if "{date}" in filekinds.BY_KIND[k].name)
    return sorted(samples)


@st.composite
def malformed(draw, samples, params, shape):
    """(file name, bytes, what was done) for one malformed file of the given shape."""
    kind = draw(st.sampled_from(kinds_for(shape, samples)))
    name, header, rows = samples[kind]
    header, rows = list(header), [list(r) for r in rows]
    fk = filekinds.BY_KIND[kind]
    expected = fk.expected_columns(params)

    def columns_of(types):
        return [c.name for c in expected if c.type in types]

    row = draw(st.integers(0, len(rows) - 1))
    col = draw(st.integers(0, len(header) - 1))

    def pick(options):
        return draw(st.sampled_from(options))

    def set_cell(column, value):
        rows[row][header.index(column)] = value

    if shape == "drop_column":
        header.pop(col)
        for r in rows:
            r.pop(col)
    elif shape == "extra_column":
        header.insert(col, pick(["extra", "notes", "id", "person_id2"]))
        for r in rows:
            r.insert(col, "1")
    elif shape == "rename_column":
        header[col] = pick([header[col].upper(), header[col] + "_x", header[col][:-1], "col"])
    elif shape == "wrong_type":
        set_cell(pick(columns_of(NON_TEXT)), pick(BAD_VALUES))
    elif shape == "bad_date":
        set_cell(pick(columns_of(("date", "timestamp"))), pick(BAD_DATES))
    elif shape == "unknown_ref":
        set_cell(*UNKNOWN_REFS[kind])
    elif shape == "rule_break":
        set_cell(*RULE_BREAKS[kind])
    elif shape == "duplicate_key":
        rows.append(list(rows[row]))
    elif shape == "missing_value":
        set_cell(pick([c.name for c in expected if c.required]), "")
    elif shape == "extra_field":
        rows[row].append("1")
    elif shape == "short_row":
        rows[row].pop()
    elif shape == "header_only":
        rows = []
    elif shape == "bad_name_date":
        name = re.sub(r"\d{4}-\d{2}-\d{2}", pick(["2025-02-30", "2025-13-01", "2025-00-10"]), name)
    elif shape in ("bad_utf8", "nul_byte"):
        set_cell(pick(columns_of(TEXT)), "@@MARK@@")
    elif shape == "unterminated_quote":
        rows = rows[: row + 1]
        set_cell(columns_of(TEXT)[-1], "@@QUOTE@@")

    body = serialize(header, rows, pick([";", "\t", "|"]) if shape == "wrong_delimiter" else ",")
    if shape == "garbage":
        body = draw(st.binary(min_size=1, max_size=300))
    elif shape == "empty":
        body = b""
    elif shape == "truncated":
        body = body[:-1 - draw(st.integers(0, len(body.rstrip(b"\n").rsplit(b"\n", 1)[-1]) - 1))]
    elif shape == "bad_utf8":
        body = body.replace(b"@@MARK@@", pick([b"\xc3\x28", b"\xff\xfe", b"ab\x80cd"]))
    elif shape == "nul_byte":
        body = body.replace(b"@@MARK@@", b"a\x00b")
    elif shape == "unterminated_quote":
        body = body.replace(b"@@QUOTE@@", b'"abc')
    elif shape == "blank_line":
        lines = body.split(b"\n")
        lines.insert(draw(st.integers(1, len(lines) - 1)), b"")
        body = b"\n".join(lines)
    return name, body, f"{shape} on {kind}"


@pytest.mark.parametrize("shape", SHAPES)
def test_malformed_files_are_rejected_and_leave_nothing(lab, shape):
    ingestor, samples = lab
    conn, params = ingestor.conn, ingestor.params
    before = schema.table_counts(conn, params)
    examples: list[str] = []

    @settings(max_examples=EXAMPLES_PER_SHAPE, deadline=None, suppress_health_check=list(HealthCheck))
    @given(malformed(samples, params, shape))
    def check(case):
        name, body, what = case
        examples.append(what)
        (ingestor.batch / name).write_bytes(body)
        outcomes = ingestor.run_once()
        assert [(o.name, o.status) for o in outcomes] == [(name, "rejected")], what
        assert outcomes[0].reason, what
        assert (ingestor.rejected / f"{name}.reason.txt").read_text(encoding="utf-8").startswith(f"{name}: ")
        assert (ingestor.rejected / name).read_bytes() == body
        assert list(ingestor.batch.iterdir()) == []
        counts = schema.table_counts(conn, params)
        assert counts.pop("ingest_rejection") == before["ingest_rejection"] + len(examples), what
        assert counts == {k: v for k, v in before.items() if k != "ingest_rejection"}, what

    check()
    assert len(examples) >= 3, f"only {len(examples)} {shape} examples ran"
