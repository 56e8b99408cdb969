"""A state's events into Kafka: each region's events produced by the Dask worker that takes the region.

A region's task is `hospsim stream produce` of that region alone (its run's files, read back; a session row of
its own), so the producers scale with the workers as the regions' simulations do (hospsim.scaleout). The key is
the hospital id, as for one region: a hospital's events stay on one partition, in the order its region's
producer sends them; the beds a hub holds for another region (state.cross_region_transfers) are that region's,
so each stay's events still come from one producer, in order. The stream tables take the state's regions as one
world (their run ids), and the processors share the partitions as one consumer group.

The state must be simulated first (every region's done marker). A region's events sent twice are stored once
(the processor keeps each event id once), so a state produced again after a failure loses and duplicates
nothing.
"""
from __future__ import annotations

import atexit
import functools
import os

from hospsim import regions, scaleout
from hospsim import run as runs
from hospsim.config import Params
from hospsim.regions import HealthRegion

_PRODUCERS: dict = {}
"""One Kafka producer a process and broker, kept for every region the process takes: a new producer waits for
each topic's metadata again (about 0.1 s a topic), which is most of a small region's time."""


def _producer(params: Params, bootstrap: str):
    from hospsim.stream import producer
    key = (os.getpid(), bootstrap)
    if key not in _PRODUCERS:
        _PRODUCERS[key] = producer.make_producer(params, bootstrap, client_id=f"hospsim-state-{os.getpid()}")
        atexit.register(producer.close_within, _PRODUCERS[key])
    return _PRODUCERS[key]


def produce_region(region: HealthRegion, *, bootstrap: str, pg_info, state: frozenset[str]) -> dict:
    """One region's events to Kafka, with its session recorded; a small summary back."""
    from hospsim import stream
    from hospsim.stream import producer, sessions
    params = region.params
    replay = stream.replay(params)
    session = sessions.start(params, pg_info, len(replay), bootstrap, state=state)
    session.produced = report = producer.produce(params, replay, bootstrap, raise_on_failure=False,
                                                 producer=_producer(params, bootstrap))
    sessions.finish(params, pg_info, session)
    return {"region": region.slug, "events": len(replay), "sent": report.sent, "failed": report.failed,
            "seconds": report.seconds, "undelivered_file": str(report.undelivered_file or ""), "pid": os.getpid()}


def _produced(summary: dict) -> str:
    return f"{summary['region']}: {summary['sent']:,} of {summary['events']:,} events in {summary['seconds']:.1f} s"


def produce_state(params: Params, bootstrap: str, pg_info, *, workers: int | None = None,
                  scheduler: str | None = None, progress: bool = True) -> scaleout.StateResult:
    """Every region's events, a region a task, on the cluster scaleout.run_state would use."""
    every = regions.expand(params)
    missing = [r.slug for r in every if scaleout.finished(r) is None]
    if missing:
        raise scaleout.StateRunError(f"{len(missing)} region(s) not simulated yet ({', '.join(missing[:3])}"
                                     f"{', ...' if len(missing) > 3 else ''}); run `hospsim simulate` with the "
                                     "same params first")
    task = functools.partial(produce_region, bootstrap=bootstrap, pg_info=pg_info,
                             state=frozenset(runs.run_id(r.params) for r in every))
    tracker = scaleout.Progress(every, 1, enabled=progress, unit="region", line=_produced)
    made, n_workers = scaleout.each_region(params, every, task, tracker, workers=workers, scheduler=scheduler)
    return scaleout.StateResult(made, [], n_workers)
