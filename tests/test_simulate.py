"""The orchestrator: original file names, byte-identical reruns, resume, a day recomputed alone, bad params."""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from types import SimpleNamespace

import pandas as pd
import pytest

from hospsim import cli, config, daily, documents, filekinds, simulate, sinks
from hospsim import run as runs
from hospsim.config import ConfigError
from tests.conftest import small_params

WORKSHOP = "params/workshop.yaml"
DAYS = 12


def _params(tmp, **overrides):
    return small_params(tmp, params_file=WORKSHOP, overrides={"simulation.days": DAYS, **overrides})


def _state(params) -> daily.CensusState:
    return simulate.load_state(simulate.state_path(runs.open_run(params)))


def _hashes(params) -> dict[str, str]:
    batch = simulate.batch_dir(params)
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(batch.glob("*.csv"))}


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """One uninterrupted run the other tests compare against."""
    params = _params(tmp_path_factory.mktemp("reference"))
    result = simulate.run(params, progress=False)
    return SimpleNamespace(params=params, result=result, hashes=_hashes(params))


def test_files_keep_the_original_names(reference):
    params, result, hashes = reference.params, reference.result, reference.hashes
    expected = {"people_data.csv", "population_with_illnesses.csv", "staff_data.csv", "reserve_pool.csv",
                "staff_active_2025_Q1.csv", "schedules_2025_02.csv", "staff_events.csv"}
    for day in simulate.dates(params):
        expected |= {filekinds.day_file_name(kind, day) for kind in filekinds.DAILY}
    assert expected <= set(hashes)
    assert {p.name for p in result.files} == set(hashes)
    assert len(result.census) == DAYS * sum(len(h.wards) for h in params.region.hospitals)
    assert result.census["date"].nunique() == DAYS and len(result.visitors) > 0
    census = pd.read_csv(simulate.batch_dir(params) / "census_2025-02-05.csv")
    assert list(census.columns) == daily.COLUMNS["census"]


def test_every_cpf_in_the_people_file_is_valid_and_unique(reference):
    params = reference.params
    people = pd.read_csv(simulate.batch_dir(params) / "people_data.csv", dtype={"national_id": str})
    assert len(people) == params.simulation.population
    assert documents.valid_cpf(people["national_id"].to_numpy()).all()
    assert people["national_id"].is_unique


def test_the_same_seed_gives_the_same_bytes_and_another_seed_other_bytes(reference, tmp_path, monkeypatch):
    hashes = reference.hashes
    monkeypatch.setattr(simulate, "BACKGROUND_MIN_ROWS", 1_000)   # the forked writer must not change a byte
    again = _params(tmp_path / "again")
    simulate.run(again, progress=False)
    assert _hashes(again) == hashes
    other = _params(tmp_path / "other", seed=7)
    simulate.run(other, progress=False)
    other_hashes = _hashes(other)
    assert other_hashes.keys() == hashes.keys()
    differing = {name for name in hashes if other_hashes[name] != hashes[name]}
    assert {"people_data.csv", "daily_visitors_2025-02-01.csv", "admissions_2025-02-12.csv"} <= differing


def _crash_on_day(params, n: int, monkeypatch) -> None:
    """Run params until a power cut on their n-th day (KeyboardInterrupt), then put the real day back."""
    real = daily.simulate_day

    def crashing_day(p, day, people, state):
        if day == p.simulation.start_date + dt.timedelta(days=n - 1):
            raise KeyboardInterrupt("power cut")
        return real(p, day, people, state)

    monkeypatch.setattr(daily, "simulate_day", crashing_day)
    with pytest.raises(KeyboardInterrupt):
        simulate.run(params, progress=False)
    monkeypatch.setattr(daily, "simulate_day", real)


def test_resume_after_a_crash_gives_the_bytes_of_an_uninterrupted_run(reference, tmp_path, monkeypatch):
    result, hashes = reference.result, reference.hashes
    crashing = _params(tmp_path)
    _crash_on_day(crashing, 8, monkeypatch)
    assert _state(crashing).day == dt.date(2025, 2, 7)
    assert not (simulate.batch_dir(crashing) / "census_2025-02-08.csv").exists()
    assert runs.open_run(crashing).step("days")["status"] == "interrupted"

    resumed = simulate.run(crashing, progress=False)
    assert _hashes(crashing) == hashes
    pd.testing.assert_frame_equal(resumed.census, result.census)
    assert len(resumed.visitors) == len(result.visitors)


def test_a_short_run_resumed_to_a_longer_one_matches_the_long_run(reference, tmp_path):
    hashes = reference.hashes
    short = _params(tmp_path, **{"simulation.days": 5})
    simulate.run(short, progress=False)
    simulate.run(simulate.with_days(short, DAYS), progress=False)
    assert _hashes(short) == hashes


def test_other_params_refuse_a_data_folder_that_holds_another_run(reference, tmp_path):
    first = _params(tmp_path, **{"simulation.days": 2})
    simulate.run(first, progress=False)
    before = _hashes(first)
    changed = _params(tmp_path, **{"simulation.days": 4, "simulation.ed_admit_share": 0.2})
    with pytest.raises(runs.RunMismatch, match="differ in simulation.ed_admit_share") as err:
        simulate.run(changed, progress=False)
    assert runs.run_id(first) in str(err.value) and runs.run_id(changed) in str(err.value)
    assert "hospsim reset --yes" in str(err.value)
    assert _hashes(first) == before and not runs.folder_for(changed).exists()


def test_one_day_recomputed_from_its_seed_stream_and_saved_state_has_the_same_bytes(reference, tmp_path):
    params, hashes = reference.params, reference.hashes
    before = _params(tmp_path, **{"simulation.days": 8})           # the state after day 8 is saved
    simulate.run(before, progress=False)
    state = _state(before)
    people = pd.read_csv(simulate.batch_dir(before) / "population_with_illnesses.csv")
    day = dt.date(2025, 2, 9)
    alone, _ = daily.simulate_day(params, day, daily.prepare(params, people), state)
    for name, df in alone.files().items():
        written = sinks.write_csv(df, tmp_path / "alone" / name)
        assert hashlib.sha256(written.read_bytes()).hexdigest() == hashes[name], name


def test_run_without_writing_leaves_no_files(tmp_path):
    params = _params(tmp_path, **{"simulation.days": 2})
    result = simulate.run(params, write=False, progress=False)
    assert len(result.census) > 0 and result.files == []
    assert not simulate.batch_dir(params).exists() and not params.dirs.runs_dir.exists()


BAD = {
    "negative beds": {"region.hospitals": [{"id": "H01", "name": "Hospital H01", "city": "São Paulo", "lat": -23.55, "lon": -46.63, "wards": {"emergency": 4, "med_surg": -3}}]},
    "probability over 1": {"simulation.ed_admit_share": 1.2},
    "unknown ward type": {"region.hospitals": [{"id": "H01", "name": "Hospital H01", "city": "São Paulo", "lat": -23.55, "lon": -46.63, "wards": {"emergency": 4, "cardiology": 9}}]},
    "unknown locale": {"locale": "xx_YY"},
    "zero days": {"simulation.days": 0},
}


@pytest.mark.parametrize("case", BAD)
def test_bad_params_fail_before_any_file_is_written(case, tmp_path):
    with pytest.raises(ConfigError) as err:
        _params(tmp_path, **BAD[case])
    assert len(err.value.problems) == 1
    argv = ["simulate", "--no-progress", "-f", WORKSHOP, "-p", f"paths.data_dir={tmp_path / 'data'}",
            "-p", f"paths.state_dir={tmp_path / 'state'}", "-p", f"paths.runs_dir={tmp_path / 'runs'}"]
    for key, value in BAD[case].items():
        argv += ["-p", f"{key}={value!r}" if not isinstance(value, list) else f"{key}={value}"]
    assert cli.main(argv) == 2
    assert not (tmp_path / "data").exists() and not (tmp_path / "state").exists() and not (tmp_path / "runs").exists()


@pytest.mark.parametrize("change", [
    {"simulation": {"ed_transfer_share": 1.5}},
    {"simulation": {"days": 0}},
    {"locale": "xx_YY"},
])
def test_params_changed_in_code_are_checked_again_before_writing(change, tmp_path):
    params = _params(tmp_path)
    section = next(iter(change))
    value = change[section]
    changed = (dataclasses.replace(params, **{section: dataclasses.replace(getattr(params, section), **value)})
               if isinstance(value, dict) else dataclasses.replace(params, **change))
    with pytest.raises(ConfigError):
        simulate.run(changed, progress=False)
    assert not simulate.batch_dir(params).exists()


def test_cli_simulate_writes_the_batch(tmp_path, capsys):
    argv = ["simulate", "--days", "2", "--no-progress", "-f", WORKSHOP,
            "-p", f"paths.data_dir={tmp_path / 'data'}", "-p", f"paths.state_dir={tmp_path / 'state'}",
            "-p", f"paths.runs_dir={tmp_path / 'runs'}"]
    assert cli.main(argv) == 0
    assert "2 day(s) from 2025-02-01" in capsys.readouterr().out
    assert (tmp_path / "data" / "batch" / "census_2025-02-02.csv").exists()
    assert cli.main([*argv[:2], "3", *argv[3:], "--resume"]) == 0
    assert (tmp_path / "data" / "batch" / "census_2025-02-03.csv").exists()


def test_default_params_validate():
    simulate.validate(config.defaults())


def test_a_parquet_run_resumed_after_a_crash_has_the_files_and_frames_of_an_uninterrupted_one(reference, tmp_path,
                                                                                               monkeypatch):
    """output.format: parquet. The days already in the run are read back from their Parquet files."""
    whole = _params(tmp_path / "whole", **{"output.format": "parquet"})
    uninterrupted = simulate.run(whole, progress=False)
    crashing = _params(tmp_path / "crashing", **{"output.format": "parquet"})
    _crash_on_day(crashing, 5, monkeypatch)
    resumed = simulate.run(crashing, progress=False)
    names = sorted(uninterrupted.run.relative(p) for p in uninterrupted.files)
    assert sorted(resumed.run.relative(p) for p in resumed.files) == names
    assert sum(n.endswith(".parquet") for n in names) == DAYS * len(filekinds.PER_DAY)
    assert all((resumed.run.files_dir / n).read_bytes() == (uninterrupted.run.files_dir / n).read_bytes()
               for n in names)
    for kind in simulate.KINDS:     # and the frames those of the CSV run of the same world
        pd.testing.assert_frame_equal(getattr(resumed, kind), getattr(reference.result, kind), obj=kind,
                                      check_dtype=False, check_index_type=False)
