"""World-mode OLTP fed by the live clock: the tables follow the run's days, and a session that starts again
takes the days before it once more without changing a row."""
from __future__ import annotations

import datetime as dt
from contextlib import closing

import pandas as pd
import pytest

from hospsim import daily, live, simulate
from hospsim import run as runs
from hospsim.oltp import schema, world
from hospsim.oltp.timed import OltpSink
from tests.conftest import small_params

pytestmark = pytest.mark.services

WORLD = {"seed": 5, "simulation.population": 20_000, "simulation.warmup_days": 3, "simulation.days": 1,
         "simulation.start_date": "2025-02-01", "oltp.source": "world", "kafka.enabled": False}


def _internacoes(params, pg) -> dict[int, bool]:
    """internacao id -> discharged (data_saida set)."""
    with closing(pg.connect()) as conn, conn.cursor() as cur:
        cur.execute(f"SELECT id, data_saida IS NOT NULL FROM {params.oltp.schema}.internacoes")
        return dict(cur.fetchall())


def test_live_applies_each_days_changes_and_a_new_session_changes_nothing(tmp_path, pg):
    params = small_params(tmp_path, pg, {**WORLD, "oltp.schema": "oltp_live_world"})
    schema.drop(params, pg)
    try:
        sink = OltpSink(params, pg)
        try:
            live.run(params, [sink], speed=None, days=4)
        finally:
            sink.close()
        the_run = runs.open_run(params)
        held, _ = simulate.days_held(params, the_run)
        dates = [params.simulation.start_date + dt.timedelta(days=i) for i in range(held)]
        assert held == 4
        days = simulate.read_days(the_run.files_dir, dates)
        stored = _internacoes(params, pg)
        admitted = {world.internacao_id(a, h) for a, h in zip(days["admissions"]["admission_id"],
                                                              days["admissions"]["hospital_id"])}
        discharged = {world.internacao_id(a, h) for a, h in zip(days["discharges"]["admission_id"],
                                                                days["discharges"]["hospital_id"])}
        assert admitted and admitted <= set(stored), "every admission of the four days is an internacao"
        assert {i for i, out in stored.items() if out} == discharged, "data_saida set by each discharge, only"

        again = OltpSink(params, pg)    # a new session whose first day is the fourth: it takes days 1-3 again
        try:
            last = daily.DayResult(dates[-1], **simulate.read_days(the_run.files_dir, [dates[-1]]))
            rows = again.timeline(last)
            midnight = pd.Timestamp(dates[-1] + dt.timedelta(days=1))
            again.send(rows[rows["sim_time"] < midnight])    # live holds the rest (departures after midnight)
            assert sum(again.applier.applied.values()) == 0, "nothing the tables hold changes"
            late = again.applier.apply(rows[rows["sim_time"] >= midnight])
            assert sum(late.values()) > 0, "those were waiting for their time"
        finally:
            again.close()
        assert set(_internacoes(params, pg)) == set(stored)
    finally:
        schema.drop(params, pg)
