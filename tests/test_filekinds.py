"""The file-kind registry agrees with what the simulation writes, and names classify (or fail) clearly."""
from __future__ import annotations

import datetime as dt

import pytest

from hospsim import config, daily, filekinds, population, workforce
from hospsim.filekinds import UnknownFile, classify


def names(kind: str, params=None) -> list[str]:
    return [c.name for c in filekinds.BY_KIND[kind].expected_columns(params or config.defaults())]


def test_columns_mirror_the_simulation_modules():
    params = config.defaults()
    assert names("people") == list(population.PEOPLE_COLUMNS)
    conditions = [c.name for c in params.population.conditions]
    assert names("population") == [*population.PEOPLE_COLUMNS, *conditions, *population.RISK_COLUMNS]
    assert names("staff") == names("staff_active") == list(workforce.STAFF_COLUMNS)
    assert names("reserve") == list(workforce.RESERVE_COLUMNS)
    assert names("staff_events") == list(workforce.EVENT_COLUMNS)
    assert names("schedules") == list(workforce.SCHEDULE_COLUMNS)
    for kind in filekinds.DAILY:     # the daily files: the simulation builds its frames from the registry
        assert names(kind) == daily.COLUMNS[kind], kind


def test_every_file_of_a_simulated_month_classifies(month):
    _, _, source = month
    kinds = {classify(p.name).kind.kind for p in source.iterdir()}
    assert kinds == set(filekinds.BY_KIND)
    for kind in filekinds.DAILY:
        name = filekinds.day_file_name(kind, dt.date(2025, 3, 16))
        assert classify(name).date == dt.date(2025, 3, 16) and classify(name).kind.kind == kind, kind


def test_a_kind_names_its_files_and_knows_them_again():
    staff_active, schedules = filekinds.BY_KIND["staff_active"], filekinds.BY_KIND["schedules"]
    assert staff_active.file_name(year=2025, quarter=3) == "staff_active_2025_Q3.csv"
    assert schedules.file_name(year=2025, month=4) == "schedules_2025_04.csv"
    assert schedules.matches("schedules_2025_04.csv") and not schedules.matches("schedules_2025_4.csv")
    assert filekinds.known_names()[:2] == ["people_data.csv", "population_with_illnesses.csv"]
    assert "census_<date>.csv (or census.csv)" in filekinds.known_names()


def test_names_carry_their_period():
    m = classify("staff_active_2025_Q3.csv")
    assert (m.kind.kind, m.year, m.quarter) == ("staff_active", 2025, 3)
    m = classify("schedules_2025_11.csv")
    assert (m.kind.kind, m.year, m.month) == ("schedules", 2025, 11)
    assert classify("census.csv").date is None and classify("census.csv").kind.kind == "census"
    assert classify("emergency_transports_2024-02-29.csv").kind.kind == "transports"


@pytest.mark.parametrize("name, message", [
    ("admissions_2025-02-30.csv", "not a calendar date"),
    ("staff_active_2025_Q5.csv", "Q1..Q4"),
    ("schedules_2025_13.csv", "01..12"),
    ("admissions.csv", "not a file kind"),
    ("people_data.csv.bak", "not a file kind"),
    ("people/region=x/day=2025-01-01/part-0.parquet", "not a Parquet file of the simulation"),
    ("admissions/region=x/day=2025-02-30/part-0.parquet", "not a calendar date"),
    ("admissions/day=2025-02-01/part-0.parquet", "not a Parquet file of the simulation"),
    ("admissions_2025-02-01.parquet", "not a Parquet file of the simulation"),
])
def test_bad_names_say_why(name, message):
    with pytest.raises(UnknownFile, match=message):
        classify(name)


def test_dimensions_sort_before_the_facts_that_need_them():
    matches = sorted((classify(n) for n in ("transfers_2025-01-01.csv", "admissions_2025-01-02.csv",
                                            "admissions_2025-01-01.csv", "daily_visitors_2025-01-01.csv",
                                            "schedules_2025_01.csv", "staff_data.csv", "people_data.csv",
                                            "population_with_illnesses.csv", "discharges_2025-01-01.csv")),
                     key=lambda m: m.sort_key)
    order = [m.name for m in matches]
    assert order.index("people_data.csv") < order.index("population_with_illnesses.csv") \
        < order.index("daily_visitors_2025-01-01.csv") < order.index("discharges_2025-01-01.csv")
    assert order.index("admissions_2025-01-02.csv") < order.index("discharges_2025-01-01.csv")
    assert order.index("staff_data.csv") < order.index("schedules_2025_01.csv")


def test_hidden_and_temporary_files_are_not_candidates():
    assert filekinds.is_candidate("admissions_2025-01-01.csv")
    for name in (".admissions_2025-01-01.csv.abc.tmp", "x.reason.txt", ".hidden.csv"):
        assert not filekinds.is_candidate(name)


def test_a_daily_kind_names_its_parquet_files_by_region_and_day():
    day = dt.date(2025, 3, 20)
    for kind in filekinds.DAILY:
        name = filekinds.parquet_file_name(kind, "campinas", day)
        assert name == f"{kind}/region=campinas/day=2025-03-20/part-0.parquet"
        match = classify(name)
        assert (match.kind.kind, match.date, match.region, match.name) == (kind, day, "campinas", name)
        assert match.sort_key[0] == classify(filekinds.day_file_name(kind, day)).sort_key[0]


def test_a_day_names_its_sibling_in_its_own_format():
    day = dt.date(2025, 3, 20)
    as_parquet = classify(filekinds.parquet_file_name("discharges", "sul", day))
    assert filekinds.same_day_name(as_parquet, "admissions") == filekinds.parquet_file_name("admissions", "sul", day)
    as_csv = classify(filekinds.day_file_name("discharges", day))
    assert filekinds.same_day_name(as_csv, "admissions") == "admissions_2025-03-20.csv"


def test_the_parquet_files_of_a_day_are_found_in_every_region(tmp_path):
    day = dt.date(2025, 3, 20)
    made = [tmp_path / filekinds.parquet_file_name("census", region, day) for region in ("sul", "norte")]
    made.append(tmp_path / filekinds.parquet_file_name("census", "sul", day + dt.timedelta(days=1)))
    for path in made:
        path.parent.mkdir(parents=True)
        path.touch()
    assert filekinds.parquet_files(tmp_path, "census", day) == sorted(made[:2])
    assert filekinds.is_candidate(filekinds.parquet_file_name("census", "sul", day))
    assert not filekinds.is_candidate("census/region=sul/day=2025-03-20/.part-0.parquet.x.tmp")
