"""The run: one world in one folder, its manifest, read-only files landed in batch/, nothing recomputed or mixed."""
from __future__ import annotations

import hashlib
import json
import os
import stat

import pyarrow.parquet as pq
import pytest
import yaml

from hospsim import cli, config, daily, filekinds, lab, simulate
from hospsim import run as runs
from tests.conftest import small_params

WORKSHOP = "params/workshop.yaml"
SMALL = {"simulation.days": 5, "simulation.population": 4000, "simulation.warmup_days": 3}


def _params(tmp, **overrides):
    return small_params(tmp, params_file=WORKSHOP, overrides={**SMALL, **overrides})


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def made(tmp_path):
    params = _params(tmp_path)
    return params, simulate.run(params, progress=False)


def test_the_manifest_names_the_world_and_every_output_with_its_checksum(made):
    params, result = made
    manifest = json.loads((runs.folder_for(params) / runs.MANIFEST).read_text())
    assert manifest["run_id"] == runs.run_id(params) == result.run.id
    assert manifest["run_id"].startswith("campinas-")
    assert manifest["fingerprint"] == config.world_fingerprint(params) and manifest["seed"] == params.seed
    assert manifest["hospsim_version"] and "password" not in manifest["params"]["postgres"]
    setup, days = manifest["steps"]["setup"], manifest["steps"]["days"]
    assert setup["status"] == days["status"] == "done" and days["days_done"] == 5
    outputs = setup["outputs"] + days["outputs"]
    assert len(outputs) == len(result.files) == len({o["name"] for o in outputs})
    for entry in outputs:
        path = result.run.file(entry["name"])
        assert entry["sha256"] == _sha(path) and entry["bytes"] == path.stat().st_size
        assert entry["rows"] == len(path.read_text().splitlines()) - 1


def test_the_runs_params_file_describes_the_same_world(made, tmp_path):
    _, result = made
    again = small_params(tmp_path / "elsewhere", params_file=str(result.run.folder / "params.yaml"))
    assert runs.run_id(again) == result.run.id


def test_run_files_are_read_only_and_batch_holds_links_to_them(made):
    params, result = made
    assert result.run.files_dir == runs.folder_for(params) / "files"
    batch = simulate.batch_dir(params)
    for path in result.files:
        assert stat.S_IMODE(path.stat().st_mode) == runs.READ_ONLY
        assert os.path.samefile(path, batch / path.name)
    assert {p.name for p in batch.glob("*.csv")} == {p.name for p in result.files}


def test_a_second_run_of_the_same_params_reads_the_run_and_simulates_nothing(made, monkeypatch):
    params, result = made

    def no_simulation(*args, **kwargs):
        raise AssertionError("a day was simulated again")

    monkeypatch.setattr(daily, "simulate_day", no_simulation)
    monkeypatch.setattr(simulate, "setup", no_simulation)
    again = simulate.run(params, progress=False)
    assert again.census.equals(result.census) and again.visitors.equals(result.visitors)
    people = lab.setup(params)[1].people           # read back: the file's text, not the in-memory types
    assert list(people.columns) == list(result.people.columns)
    assert people["national_id"].equals(result.people["national_id"]) and people["name"].equals(result.people["name"])


def test_after_a_reset_the_run_lands_its_files_again_without_recomputing(made, monkeypatch):
    params, result = made
    import shutil
    shutil.rmtree(params.dirs.data_dir)
    monkeypatch.setattr(daily, "simulate_day", lambda *a, **k: pytest.fail("a day was simulated again"))
    simulate.run(params, progress=False)
    assert {p.name for p in simulate.batch_dir(params).glob("*.csv")} == {p.name for p in result.files}
    assert json.loads((params.dirs.data_dir / runs.LANDING).read_text())["run_id"] == result.run.id


def test_a_landed_file_already_moved_to_processed_is_not_landed_again(made):
    params, result = made
    processed = params.dirs.data_dir / "processed"
    processed.mkdir()
    first = simulate.batch_dir(params) / result.files[0].name
    first.rename(processed / first.name)
    simulate.run(params, progress=False)
    assert not first.exists()


def test_paths_services_and_pacing_keep_the_run_while_the_world_keys_change_it(tmp_path):
    base = _params(tmp_path)
    same = [{"stream.events_per_second": 5}, {"simulation.days": 40}, {"warehouse.schema": "other"},
            {"kafka.topic_prefix": "x"}, {"oltp.stream.batch_size": 7}]
    other = [{"seed": 3}, {"simulation.population": 4001}, {"simulation.ed_admit_share": 0.2},
             {"workforce.rotation": "3x8"}, {"locale": "en_US"}]
    assert all(runs.run_id(_params(tmp_path, **o)) == runs.run_id(base) for o in same)
    assert len({runs.run_id(_params(tmp_path, **o)) for o in other} | {runs.run_id(base)}) == len(other) + 1


def test_another_world_is_refused_before_anything_is_written(made, tmp_path):
    params, result = made
    before = {p.name: _sha(p) for p in simulate.batch_dir(params).iterdir()}
    other = _params(tmp_path, seed=99)
    with pytest.raises(runs.RunMismatch) as err:
        simulate.run(other, progress=False)
    message = str(err.value)
    assert result.run.id in message and runs.run_id(other) in message and "differ in seed" in message
    assert "hospsim reset --yes" in message and "paths.data_dir" in message
    assert {p.name: _sha(p) for p in simulate.batch_dir(params).iterdir()} == before
    assert not runs.folder_for(other).exists()


def test_the_cli_names_both_runs_and_exits_non_zero(made, tmp_path, capsys):
    params, result = made
    argv = ["simulate", "--no-progress", "-f", WORKSHOP, *[a for k, v in SMALL.items() for a in ("-p", f"{k}={v}")],
            "-p", f"paths.data_dir={params.dirs.data_dir}", "-p", f"paths.runs_dir={params.dirs.runs_dir}",
            "-p", f"paths.state_dir={tmp_path / 'state'}", "-p", "seed=5"]
    assert cli.main(argv) == 1
    assert result.run.id in capsys.readouterr().err


def test_a_params_file_extends_another(tmp_path):
    overlay = tmp_path / "mine.yaml"
    overlay.write_text(yaml.safe_dump({"extends": "workshop.yaml", "simulation": {"days": 9}}))
    mine = config.load(overlay, environ={}, dotenv=tmp_path / "none.env")
    workshop = config.load(WORKSHOP, environ={}, dotenv=tmp_path / "none.env")
    assert mine.simulation.days == 9 and mine.simulation.population == workshop.simulation.population
    assert mine.region == workshop.region and mine.seed == workshop.seed
    chained = tmp_path / "chained.yaml"
    chained.write_text("extends: mine.yaml\nseed: 5\n")
    assert config.load(chained, environ={}, dotenv=tmp_path / "none.env").simulation.days == 9


@pytest.mark.parametrize("text, problem", [
    ("extends: nowhere.yaml\n", "params file nowhere.yaml does not exist"),
    ("extends: [a.yaml]\n", "name one params file"),
    ("extends: loop.yaml\n", "`extends:` loops"),
])
def test_a_bad_extends_names_the_file_and_the_fix(tmp_path, text, problem):
    path = tmp_path / "loop.yaml"
    path.write_text(text)
    with pytest.raises(config.ConfigError, match=problem):
        config.load(path, environ={}, dotenv=tmp_path / "none.env")


def test_hospsim_params_is_the_default_params_file_and_is_listed(tmp_path):
    chosen = config.load(None, environ={config.PARAMS_ENV: WORKSHOP}, dotenv=tmp_path / "none.env")
    assert chosen.region.name == "Campinas"
    assert config.PARAMS_ENV in config.env_names()


def test_a_what_if_at_the_runs_own_values_draws_the_run_itself(made):
    """The scenario reuses the run's population; with nothing changed it is the run, line for line."""
    params, result = made
    redo = lab.what_if(params, result.census, simulate.read_population(result.run))
    figure = redo(params)[0]
    lines = {trace.name: list(trace.y) for trace in figure.data}
    for hospital in ("H01", "H02"):
        assert lines[f"{hospital}, what-if"] == lines[f"{hospital}, baseline (the run)"]
    more = redo(config.with_overrides(params, {"simulation.ed_visits_per_1000_year": 2000}))[0]   # 4,000 people
    total = {name: sum(sum(t.y) for t in more.data if name in t.name) for name in ("what-if", "baseline")}
    assert total["what-if"] > total["baseline"]


def test_files_written_by_the_forked_writer_are_described_by_their_real_checksums(tmp_path, monkeypatch):
    monkeypatch.setattr(simulate, "BACKGROUND_MIN_ROWS", 1_000)     # the population and schedules go to the fork
    params = _params(tmp_path)
    result = simulate.run(params, progress=False)
    outputs = result.run.reload().step("setup")["outputs"]
    assert {"people_data.csv", "population_with_illnesses.csv"} <= {o["name"] for o in outputs}
    for entry in outputs:
        path = result.run.file(entry["name"])
        assert entry["sha256"] == _sha(path) and entry["rows"] == len(path.read_text().splitlines()) - 1
    assert not (result.run.state_dir / simulate.BACKGROUND_DIGESTS).exists()


def test_a_run_grown_longer_keeps_its_people_and_grows_only_the_workforce(made, monkeypatch):
    params, result = made
    people = result.run.file("people_data.csv")
    before = (people.stat().st_ino, _sha(people))
    from hospsim import population
    monkeypatch.setattr(population, "generate", lambda *a, **k: pytest.fail("the population was made again"))
    longer = simulate.run(simulate.with_days(params, 70), progress=False)       # into April: a new quarter
    assert (people.stat().st_ino, _sha(people)) == before
    assert "staff_active_2025_Q2.csv" in {p.name for p in longer.files}
    assert longer.run.reload().step("setup")["days"] == 70 and len(longer.census["date"].unique()) == 70


def test_a_parquet_run_is_its_own_run_and_names_its_daily_files_by_their_partitions(made, tmp_path, monkeypatch):
    _, csv_result = made
    params = _params(tmp_path / "pq", **{"output.format": "parquet"})
    result = simulate.run(params, progress=False)
    assert result.run.id != csv_result.run.id and result.run.parquet and not csv_result.run.parquet
    day = params.simulation.start_date
    assert result.run.file(filekinds.day_file_name("census", day)) == \
        result.run.files_dir / "census" / "region=campinas" / f"day={day}" / "part-0.parquet"
    assert result.run.file("people_data.csv") == result.run.files_dir / "people_data.csv"   # setup stays CSV
    days = json.loads((result.run.folder / runs.MANIFEST).read_text())["steps"]["days"]["outputs"]
    assert len(days) == len({o["name"] for o in days}) == 5 * len(filekinds.PER_DAY)
    for entry in days:
        path = result.run.files_dir / entry["name"]
        assert entry["name"].endswith("/part-0.parquet") and entry["sha256"] == _sha(path)
        assert entry["rows"] == pq.read_metadata(path).num_rows
        assert os.path.samefile(path, simulate.batch_dir(params) / entry["name"])
    import shutil
    shutil.rmtree(params.dirs.data_dir)
    monkeypatch.setattr(daily, "simulate_day", lambda *a, **k: pytest.fail("a day was simulated again"))
    again = simulate.run(params, progress=False)          # after a reset: landed again, read back, not simulated
    assert all((simulate.batch_dir(params) / entry["name"]).exists() for entry in days)
    assert again.census.equals(result.census) and again.admissions.equals(result.admissions)


def test_a_files_name_in_the_run_is_its_path_under_files_however_it_is_given(made):
    _, result = made
    the_run, name = result.run, result.files[-1].name
    path = the_run.file(name)
    assert the_run.relative(path) == the_run.relative(str(path)) == name
    assert the_run.relative(f"{the_run.files_dir}/./{name}") == name             # a text path: pathlib's reading
    assert the_run.relative(the_run.folder / "elsewhere" / name) == name          # outside files/: its name
