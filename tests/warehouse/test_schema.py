"""The warehouse schema: idempotent init, params dimensions, keys on every table, views, drop."""
from __future__ import annotations

import dataclasses

import pytest

from hospsim import config, workforce
from hospsim.config import ConfigError
from hospsim.warehouse import schema
from tests.warehouse.conftest import warehouse_params

pytestmark = pytest.mark.services

VIEWS = {"v_census_daily", "v_occupancy_daily", "v_length_of_stay_monthly", "v_average_length_of_stay",
         "v_admissions_transfers_daily", "v_staffing_shift", "v_staff_events_quarterly", "v_ingest_summary"}


def rows(conn, text, args=None):
    with conn.cursor() as cur:
        cur.execute(text, args)
        out = cur.fetchall()
    conn.commit()
    return out


def test_init_is_idempotent_and_loads_the_params_dimensions(wh):
    params, conn = wh
    schema.init(conn, params)
    first = schema.table_counts(conn, params)
    schema.init(conn, params)
    assert schema.table_counts(conn, params) == first
    s = params.warehouse.schema
    hospitals = rows(conn, f"SELECT hospital_id, name, rural FROM {s}.dim_hospital ORDER BY 1")
    assert hospitals == [(h.id, h.name, h.rural) for h in sorted(params.region.hospitals, key=lambda h: h.id)]
    wards = {(h, w): (b, r) for h, w, b, r in rows(conn, f"SELECT hospital_id, ward, beds, nurse_ratio FROM {s}.dim_ward")}
    ratios = workforce.patients_per_nurse(params)      # the staffing rule's (COFEN by default)
    assert wards == {(h.id, w.type): (w.beds, ratios[w.type]) for h in params.region.hospitals for w in h.wards}
    assert ratios["icu"] == 24 / (18 * 0.52) and ratios["med_surg"] == 24 / (6 * 0.33)
    assert {r for (r,) in rows(conn, f"SELECT role FROM {s}.dim_role")} == {"physician", "nurse", "nursing_technician"}
    assert {i for (i,) in rows(conn, f"SELECT illness FROM {s}.dim_illness")} == {
        c.name for c in params.population.conditions}
    span = schema.calendar_span(params)
    assert rows(conn, f"SELECT min(date_key), max(date_key), count(*) FROM {s}.dim_date") == [
        (span["first"], span["last"], (span["last"] - span["first"]).days + 1)]
    assert rows(conn, f"SELECT day_name, is_weekend, year_quarter FROM {s}.dim_date WHERE date_key = '2025-03-16'") \
        == [("Sunday", True, "2025-Q1")]


def test_every_table_has_a_primary_key_and_the_facts_declare_their_references(wh):
    params, conn = wh
    schema.init(conn, params)
    s = params.warehouse.schema
    tables = {t for (t,) in rows(conn, "SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
                                       "AND table_type = 'BASE TABLE'", (s,))}
    with_pk = {t for (t,) in rows(conn, "SELECT conrelid::regclass::text FROM pg_constraint WHERE contype = 'p' "
                                        "AND connamespace = %s::regnamespace", (s,))}
    assert {t.split(".")[-1] for t in with_pk} == tables
    fks = rows(conn, "SELECT conrelid::regclass::text, confrelid::regclass::text, conenforced FROM pg_constraint "
                     "WHERE contype = 'f' AND connamespace = %s::regnamespace", (s,))
    referenced = {(a.split(".")[-1], b.split(".")[-1]) for a, b, _ in fks}
    for fact in ("fact_visit", "fact_admission", "fact_discharge", "fact_transfer", "fact_emergency_transport"):
        assert (fact, "dim_person") in referenced and (fact, "dim_date") in referenced
    assert ("fact_shift_assignment", "dim_staff") in referenced and ("dim_ward", "dim_hospital") in referenced
    enforced = {(a.split(".")[-1], b.split(".")[-1]): e for a, b, e in fks}
    assert enforced[("dim_ward", "dim_hospital")] and not enforced[("fact_visit", "dim_person")]
    views = {v for (v,) in rows(conn, "SELECT table_name FROM information_schema.views WHERE table_schema = %s", (s,))}
    assert views == VIEWS


def test_init_follows_params_and_drop_removes_everything(wh, pg, tmp_path):
    params, conn = wh
    schema.init(conn, params)
    extra = config.Hospital("H09", "Hospital Novo", "Campinas", -22.9, -47.0, (config.Ward("icu", 5),))
    grown = dataclasses.replace(params, region=dataclasses.replace(
        params.region, hospitals=params.region.hospitals + (extra,)))
    schema.init(conn, grown)
    s = params.warehouse.schema
    assert rows(conn, f"SELECT beds FROM {s}.dim_ward WHERE hospital_id = 'H09' AND ward = 'icu'") == [(5,)]
    assert schema.exists(conn, params)
    schema.drop(conn, params)
    schema.drop(conn, params)
    assert not schema.exists(conn, params)
    assert rows(conn, "SELECT count(*) FROM information_schema.schemata WHERE schema_name = %s", (s,)) == [(0,)]


def test_a_bad_schema_name_is_refused_before_anything_runs(tmp_path, pg):
    with pytest.raises(ConfigError, match="warehouse.schema = 'Ware House'"):
        warehouse_params(tmp_path, pg, "x", {"warehouse.schema": "Ware House"})


def test_the_schema_may_not_be_another_schema(tmp_path, pg):
    with pytest.raises(ConfigError, match="warehouse.schema = 'oltp': already another schema's name"):
        warehouse_params(tmp_path, pg, "x", {"warehouse.schema": "oltp"})


def test_every_check_rule_has_a_reason_and_reaches_an_older_warehouse(wh):
    params, conn = wh
    schema.init(conn, params)
    s = params.warehouse.schema
    found = dict(rows(conn, "SELECT c.conname, obj_description(c.oid, 'pg_constraint') FROM pg_constraint c "
                            "JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = %s AND c.contype = 'c' "
                            "AND c.conrelid::regclass::text NOT LIKE '%%ingest%%' AND c.conname <> 'key_span_check'",
                      (s,)))
    assert found and all(found.values()), [name for name, reason in found.items() if not reason]
    bounds = rows(conn, "SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c JOIN pg_namespace n "
                        "ON n.oid = c.connamespace WHERE n.nspname = %s AND c.conname = 'fact_visit_age_bounds'", (s,))
    assert f"(age <= {config.MAX_AGE})" in bounds[0][0], "the warehouse's age bound is the params' one"
    # A warehouse from before the rule, holding a row that breaks it: init adds the rule without re-checking it.
    insert = (f"INSERT INTO {s}.fact_transfer VALUES ('T1', 1, NULL, NULL, 'H01', 'H01', 'icu', 'capacity', "
              "'2025-03-20', '2025-03-20 10:00', '2025-03-20 11:00', '2025-03-20 12:00', 'NaN', 1)")
    rows(conn, f"ALTER TABLE {s}.fact_transfer DROP CONSTRAINT fact_transfer_ends_differ, "
               "DROP CONSTRAINT fact_transfer_distance_bounds; " + insert + " RETURNING 1")
    schema.init(conn, params)
    assert rows(conn, f"SELECT count(*) FROM {s}.fact_transfer") == [(1,)]
    with pytest.raises(Exception, match="fact_transfer_distance_bounds|fact_transfer_ends_differ"):
        rows(conn, insert.replace("'T1'", "'T2'"))
    conn.rollback()
