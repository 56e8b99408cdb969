"""Stream sessions: each delivery of a run's events is a session with its own pace and its own measured rate.

The stream tables keep each event once (a second delivery of the same ids adds no rows), so what a session
did is measured from the session itself, the producer's send times and the processor's batches, not from the
rows. A session row in `stream.sessions` names the run its events came from: the stream tables hold one world.
"""
from __future__ import annotations

import datetime as dt
from contextlib import closing
from dataclasses import dataclass, field

import pandas as pd

from hospsim import run as runs
from hospsim import sqlfiles

QUERIES = "stream/queries.sql"


@dataclass
class Session:
    """One delivery of a run's events: through Kafka (produced, then processed) or in-process."""
    run_id: str
    path: str                           # kafka | in-process
    mode: str
    target_per_s: float | None          # the pace asked for (rate mode), None otherwise
    events: int
    started_at: dt.datetime
    finished_at: dt.datetime | None = None
    produced_per_s: float | None = None
    consumed_per_s: float | None = None
    stats: object = None                # processor.Stats
    produced: object = None             # producer.ProduceReport (Kafka path)
    bootstrap: str | None = None
    reason: str = ""                    # why the in-process path was taken
    session_id: int | None = None
    timeline: pd.DataFrame = field(default_factory=pd.DataFrame)   # second, topic, produced, consumed

    def summary(self) -> dict:
        return {"session": self.session_id, "run": self.run_id, "path": self.path, "mode": self.mode,
                "target_per_s": self.target_per_s, "events": self.events,
                "produced_per_s": _round(self.produced_per_s), "consumed_per_s": _round(self.consumed_per_s),
                **({k: v for k, v in self.stats.summary().items() if k in ("inserted", "duplicates", "rejected")}
                   if self.stats is not None else {})}


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 1)


def start(params, pg_info, events: int, bootstrap: str | None, reason: str = "", *,
          state: frozenset[str] = frozenset()) -> Session:
    """A new session of the run these params describe, after checking the stream tables hold no other run (but
    those of `state`, the other regions of its state)."""
    the_run = runs.open_run(params)
    check(params, pg_info, state)
    mode = params.stream.mode
    return Session(the_run.id, "kafka" if bootstrap else "in-process", mode,
                   params.stream.events_per_second if mode == "rate" else None, events,
                   dt.datetime.now(dt.UTC), bootstrap=bootstrap, reason=reason)


def finish(params, pg_info, session: Session) -> Session:
    """Measure the session, store its row and add it to the run's stream step."""
    session.finished_at = dt.datetime.now(dt.UTC)
    record(pg_info, measure(session), params.stream.schema)
    the_run = runs.open_run(params)
    entry = the_run.step("stream")
    inserted = int(session.stats.inserted) if session.stats is not None else 0
    the_run.record("stream", status="done", finished_at=runs.now(), tables=f"{params.stream.schema}.*",
                   rows=entry.get("rows", 0) + inserted, sessions=[*entry.get("sessions", []), session.summary()])
    return session


def check(params, pg_info, state: frozenset[str] = frozenset()) -> None:
    """RunMismatch when the stream tables already hold events of another run (before anything is sent)."""
    schema = params.stream.schema
    with closing(pg_info.connect()) as conn, conn.cursor() as cur:
        cur.execute(sqlfiles.render(QUERIES, "sessions_exist"), {"schema": schema})
        if not cur.fetchone()[0]:
            return
        cur.execute(sqlfiles.render(QUERIES, "session_runs", schema=schema))
        held = {row[0] for row in cur.fetchall()}
    runs.check_holder(params, f"the stream tables (schema {schema})", held,
                      "Start the course over with `hospsim reset --yes` (make course-reset), or `hospsim stream "
                      "reset` to empty the stream tables and topics.", state=state)


def record(pg_info, session: Session, schema: str) -> Session:
    """Store the session row in the stream schema `schema` (its id numbers the sessions of these tables)."""
    from hospsim.stream import sink
    with closing(pg_info.connect()) as conn:
        sink.ensure_schema(conn, schema)
        with conn.cursor() as cur:
            cur.execute(sqlfiles.render(QUERIES, "session_insert", schema=schema),
                        {k: getattr(session, k) for k in ("run_id", "path", "mode", "target_per_s", "events",
                                                          "produced_per_s", "consumed_per_s", "started_at",
                                                          "finished_at")})
            session.session_id = cur.fetchone()[0]
        conn.commit()
    return session


def measure(session: Session) -> Session:
    """Rates and the per-second timeline of this session alone, from its producer report and processor stats."""
    produced = session.produced.timeline if session.produced is not None else pd.DataFrame()
    history = pd.DataFrame(getattr(session.stats, "history", []), columns=["time", "topic", "consumed", "rejected"])
    consumed = (history.assign(second=pd.to_datetime(history["time"], unit="s", utc=True).dt.floor("s"))
                .groupby(["topic", "second"], as_index=False)["consumed"].sum()) if not history.empty else history
    if session.produced is not None:
        session.produced_per_s = session.produced.events_per_second
    elapsed = (session.finished_at - session.started_at).total_seconds() if session.finished_at else 0
    if session.stats is not None and elapsed > 0:
        session.consumed_per_s = session.stats.consumed / elapsed
        if session.produced is None:        # in-process: what was processed is what was sent
            session.produced_per_s = session.consumed_per_s
    frames = [f.set_index(["second", "topic"]) for f in (produced, consumed) if not f.empty]
    timeline = pd.concat(frames, axis=1) if frames else pd.DataFrame()
    timeline = timeline.reindex(columns=["produced", "consumed"]).fillna(0).astype("int64").reset_index()
    if session.produced is None:
        timeline["produced"] = timeline["consumed"]
    session.timeline = (timeline if not timeline.empty else
                        pd.DataFrame(columns=["second", "topic", "produced", "consumed"])
                        ).sort_values(["second", "topic"], ignore_index=True)
    return session
