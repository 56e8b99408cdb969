"""A state on real Dask clusters: the same bytes in process, on 1 and 3 LocalCluster workers and on a cluster
started with `dask scheduler` / `dask worker`; retries, resume, Ctrl-C and the CLI's flags."""
from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest

from hospsim import cli, regions, scaleout
from hospsim import run as runs
from tests.conftest import free_port, small_params

SMALL_STATE = {"state.regions": 3, "state.people": 9000, "state.hospitals_per_100k": 20,
               "simulation.days": 3, "simulation.warmup_days": 2}
BOUND_S = 180


def small_state(tmp: Path, **overrides):
    return small_params(tmp, params_file="params/workshop.yaml", overrides={**SMALL_STATE, **overrides})


def cli_args(params, **overrides) -> list[str]:
    """`simulate` of the small state (with overrides) into params' folders, as command-line arguments."""
    keys = {**SMALL_STATE, **overrides, "paths.data_dir": params.dirs.data_dir, "paths.runs_dir": params.dirs.runs_dir}
    return ["simulate", "-f", "params/workshop.yaml", *[a for k, v in keys.items() for a in ("-p", f"{k}={v}")],
            "--no-progress"]


def digests(params) -> dict[str, str]:
    """sha256 of every region's batch and run files, by path under the data and runs folders."""
    files = [*params.dirs.data_dir.glob("regions/*/batch/*"), *params.dirs.runs_dir.glob("*/files/*")]
    roots = (params.dirs.data_dir, params.dirs.runs_dir)
    return {str(next(p.relative_to(r) for r in roots if p.is_relative_to(r))): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in files}


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The small state simulated region after region in this process: the bytes every cluster must match."""
    params = small_state(tmp_path_factory.mktemp("state-reference"))
    result = scaleout.run_state(params, progress=False)
    return params, result, digests(params)


def test_in_process_a_state_writes_every_region_with_its_marker(reference):
    params, result, files = reference
    assert sorted(s["region"] for s in result.summaries) == ["region-001", "region-002", "region-003"]
    assert sum(s["people"] for s in result.summaries) == 9000 and result.total("visits") > 0
    for region in regions.expand(params):
        assert scaleout.finished(region) is not None
        assert len(list((region.data_dir / "batch").glob("census_*.csv"))) == 3
    per_region = len(list(params.dirs.data_dir.glob("regions/region-001/batch/*")))
    assert len([f for f in files if f.startswith("regions/")]) == 3 * per_region    # and as many in the runs


def test_progress_shows_region_days_and_each_finished_region(tmp_path, capsys):
    scaleout.run_state(small_state(tmp_path), progress=True)
    err = capsys.readouterr().err
    assert "9/9" in err and "region-day" in err and "regions 3/3" in err
    for slug in ("region-001", "region-002", "region-003"):
        assert f"{slug}: " in err and " people, 3 day(s), " in err


@pytest.mark.parametrize("workers", [1, 3])
def test_one_and_three_workers_give_the_bytes_of_the_in_process_run(tmp_path, reference, workers):
    params = small_state(tmp_path)
    result = scaleout.run_state(params, workers=workers, progress=False)
    assert result.workers == workers and not result.skipped
    assert digests(params) == reference[2]


def test_a_failed_region_is_retried_and_a_new_run_skips_the_finished_ones(tmp_path, reference):
    params = small_state(tmp_path, **{"state.task_retries": 0})

    def fails_once(region):
        flag = region.data_dir.parent / f"{region.slug}.failed"
        if region.index == 2 and not flag.exists():
            flag.parent.mkdir(parents=True, exist_ok=True)
            flag.touch()
            raise OSError("the disk hiccupped")
        return scaleout.simulate_region(region)

    with pytest.raises(scaleout.StateRunError, match=r"1 region\(s\) failed.*region-002: OSError"):
        scaleout.run_state(params, workers=2, progress=False, task=fails_once)
    done = [r.slug for r in regions.expand(params) if scaleout.finished(r)]
    assert done == ["region-001", "region-003"]
    again = scaleout.run_state(params, workers=2, progress=False)
    assert again.skipped == ["region-001", "region-003"] and digests(params) == reference[2]

    retried = small_state(tmp_path / "retried", **{"state.task_retries": 1})
    scaleout.run_state(retried, workers=2, progress=False, task=fails_once)
    assert (retried.dirs.data_dir / "regions" / "region-002.failed").exists()     # it did fail once
    assert digests(retried) == reference[2]


@pytest.fixture
def dask_cluster(tmp_path):
    """A scheduler and a two-process worker started with the dask CLI, as users start them; stopped afterwards."""
    dask = str(Path(sys.executable).parent / "dask")
    address = f"tcp://127.0.0.1:{free_port()}"
    host, port = address[6:].split(":")
    commands = {"scheduler": [dask, "scheduler", "--host", host, "--port", port, "--no-dashboard"],
                "worker": [dask, "worker", address, "--nworkers", "2", "--nthreads", "1", "--no-dashboard",
                           "--local-directory", str(tmp_path / "worker-space")]}
    procs = []
    for name, command in commands.items():
        with open(tmp_path / f"{name}.log", "w") as log:       # the child keeps its own copy of the handle
            procs.append(subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
    try:
        from distributed import Client
        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=BOUND_S)
        yield address
    finally:
        for proc in reversed(procs):
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)


def test_the_cli_runs_a_state_on_a_cluster_started_with_the_dask_commands(tmp_path, reference, dask_cluster, capsys):
    params = small_state(tmp_path)
    argv = cli_args(params)
    assert cli.main([*argv, "--scheduler", dask_cluster]) == 0
    assert "state: 3 region(s) (0 finished earlier), 9000 people" in capsys.readouterr().out
    assert digests(params) == reference[2]
    assert cli.main([*argv, "--scheduler", dask_cluster]) == 0            # resumed: nothing left to do
    assert "(3 finished earlier)" in capsys.readouterr().out


def test_a_region_folder_of_another_world_is_refused_before_anything_is_written(tmp_path):
    scaleout.run_state(small_state(tmp_path), progress=False)
    runs_before = sorted(p.name for p in (tmp_path / "runs").iterdir())
    with pytest.raises(runs.RunMismatch, match="region-001"):
        scaleout.run_state(small_state(tmp_path, seed=7), workers=1, progress=False)
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == runs_before


def test_an_absent_scheduler_is_a_clear_error(tmp_path, capsys):
    params = small_state(tmp_path, **{"state.no_worker_timeout_s": 2})
    with pytest.raises(scaleout.StateRunError, match="no Dask scheduler answered at tcp://127.0.0.1:"):
        scaleout.run_state(params, scheduler=f"tcp://127.0.0.1:{free_port()}", progress=False)


def test_workers_need_a_state(capsys):
    assert cli.main(["simulate", "-f", "params/workshop.yaml", "--workers", "2"]) == 2
    assert "--workers and --scheduler run a state's regions" in capsys.readouterr().err


def test_ctrl_c_cancels_the_regions_and_closes_the_cluster(tmp_path):
    """SIGINT while the regions run: the command exits 130 and leaves no worker process behind."""
    longer = {"simulation.days": 120, "state.people": 60_000}
    params = small_state(tmp_path, **longer)
    proc = subprocess.Popen([sys.executable, "-m", "hospsim", *cli_args(params, **longer), "--workers", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + BOUND_S
        while not any(params.dirs.runs_dir.glob("*/files/census_*.csv")):
            assert proc.poll() is None and time.monotonic() < deadline, "no region started a day"
            time.sleep(0.2)
        children = psutil.Process(proc.pid).children(recursive=True)
        assert children, "the LocalCluster's worker processes"
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=BOUND_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
    assert proc.returncode == 130 and "interrupted" in err
    _, alive = psutil.wait_procs(children, timeout=60)
    assert not alive, f"left running: {[p.pid for p in alive]}"
    # a task already running may end while the cluster closes; its marker then follows its complete files
    every = regions.expand(params)
    for region in (r for r in every if scaleout.finished(r)):
        assert len(list((region.data_dir / "batch").glob("census_*.csv"))) == 120
    assert any(not scaleout.finished(r) for r in every), "the region no worker had started was cancelled"


CROSS = {"state.people": 60_000, "state.hospitals_per_100k": 5, "simulation.days": 14,
         "state.cross_region_transfers": True, "state.referral_beds_share": 0.5}


def test_cross_region_transfers_fill_the_beds_the_hub_holds_for_each_region(tmp_path):
    """Regions whose own beds are full transfer to the hub's first hospital, into the beds it holds for them;
    nobody lives at those beds, and the hub's own patients never lie in them. Two workers write the same bytes."""
    params = small_state(tmp_path / "in-process", **CROSS)
    scaleout.run_state(params, progress=False)
    on_two = small_state(tmp_path / "two", **CROSS)
    scaleout.run_state(on_two, workers=2, progress=False)
    assert digests(on_two) == digests(params)
    every = regions.expand(params)
    hub = max(every, key=lambda r: r.params.simulation.population)
    hub_id = hub.params.region.hospitals[0].id
    crossed = 0
    for region in every:
        batch = region.data_dir / "batch"
        admissions = pd.concat(pd.read_csv(f) for f in sorted(batch.glob("admissions_*.csv")))
        at_hub = admissions[admissions["hospital_id"] == hub_id]
        surge = at_hub["bed"].str.rsplit("-", n=1).str[-1].str.startswith("S")
        assert region is hub or not surge.any()                 # held beds never surge
        at_hub = at_hub[~surge]
        numbers = at_hub["bed"].str.rsplit("-", n=1).str[-1].astype(int)
        own = {w.type: w.beds for w in hub.params.region.hospitals[0].wards}
        if region is hub:
            assert (numbers <= at_hub["ward"].map(own)).all()
            continue
        mine = {w.type: (w.first_bed, w.first_bed + w.beds - 1) for w in region.params.region.hospitals[-1].wards}
        for ward, number in zip(at_hub["ward"], numbers):
            assert mine[ward][0] <= number <= mine[ward][1]
        transfers = pd.concat(pd.read_csv(f) for f in sorted(batch.glob("transfers_*.csv")))
        to_hub = transfers[transfers["destination_hospital_id"] == hub_id]
        assert set(to_hub["admission_id"]) == set(at_hub["admission_id"])     # every stay there came by transfer
        crossed += len(to_hub)
        people = pd.read_csv(runs.folder_for(region.params) / "files" / "population_with_illnesses.csv")
        assert hub_id not in set(people["home_hospital"])
    assert crossed > 0


def test_progress_counts_the_days_of_a_parquet_state(tmp_path):
    params = small_state(tmp_path, **{"output.format": "parquet"})
    scaleout.run_state(params, progress=False)
    assert [scaleout.days_done(r) for r in regions.expand(params)] == [3, 3, 3]
