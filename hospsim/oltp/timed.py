"""World-mode OLTP as a timed sink of `hospsim live`: each change applied at its simulated time.

The Applier is idempotent (an INSERT of an id that is there, an UPDATE already made: nothing changes), so
after a crash the sink takes the day's rows again from the start instead of asking what it holds.
"""
from __future__ import annotations

import dataclasses
import threading

import numpy as np
import pandas as pd

from hospsim.oltp import schema, world

FRAMES = ("visitors", "admissions", "discharges", "census")


class OltpSink:
    """The seven tables of world mode, fed by the live clock (the Kafka sink's sibling)."""

    name = "oltp"

    def __init__(self, params, pg_info=None):
        self.params, self.pg_info = params, pg_info
        self.applier = world.Applier(params, pg_info)
        self._world: world.World | None = None
        self._run = None                    # the run, opened at the first day (live creates it)
        self._staff_version = None
        self._booked: dict = {}   # discharge day -> its follow-ups (world.booked_due's cache)

    def timeline(self, result) -> pd.DataFrame:
        frames = {k: getattr(result, k) for k in FRAMES}
        current = self._world = world.with_births(self._current_world(result.day), result.births)
        self._booked[result.day] = world.followups(self.params, result.discharges, result.day)  # no file read
        return world.day_changes(self.params, current, frames, result.day, self._due(result.day))

    def mark(self) -> dict:
        return {}

    def delivered(self, rows: pd.DataFrame, mark: dict) -> np.ndarray:
        return np.zeros(len(rows), dtype=bool)

    def send(self, rows: pd.DataFrame) -> None:
        self.applier.apply(rows)

    def flush(self, stop: threading.Event | None) -> None:
        """Every apply commits its slice: nothing is pending."""

    def close(self) -> None:
        self.applier.close()

    def _current_world(self, day) -> world.World:
        """The run's people and staff, read again when the run's setup grew (a month's new hires); the first
        time, the tables catch up with the run: the stays open at its start and every day before `day`."""
        from hospsim import filekinds, simulate
        from hospsim import run as runs
        if self._run is None:
            self._run = runs.open_run(self.params)
        the_run = self._run
        staff = the_run.file(filekinds.BY_KIND["staff"].name).stat()
        version = (staff.st_mtime_ns, staff.st_size)
        if version != self._staff_version:
            setup = simulate.read_setup(the_run)
            first, earlier = self._world is None, self._world
            self._world, self._staff_version = world.prepare(self.params, setup), version
            if earlier is not None:     # the newborns so far stay
                self._world = dataclasses.replace(self._world, people=earlier.people)
            if first:
                self._catch_up(the_run, setup, day)
        return self._world

    def _catch_up(self, the_run, setup, day) -> None:
        import datetime as dt

        from hospsim import simulate
        schema.init(self.params, self.pg_info)
        self.applier.apply(world.opening_changes(self.params, self._world, world.beds_at_start(self.params, setup)))
        held, _ = simulate.days_held(self.params, the_run)
        start = self.params.simulation.start_date
        for earlier in (start + dt.timedelta(days=i) for i in range(held)):
            if earlier < day:
                frames = simulate.read_days(the_run.files_dir, [earlier])
                self._world = world.with_births(self._world, frames.get("births"))
                self.applier.apply(world.day_changes(self.params, self._world, frames, earlier, self._due(earlier)))

    def _due(self, day):
        """The follow-ups due on `day`, booked by the run's earlier discharges (the session's own days from
        memory, the days before it from the run's files)."""
        return world.booked_due(self.params, self._run.files_dir, day, self._booked)
