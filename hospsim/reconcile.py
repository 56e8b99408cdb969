"""Batch, stream and CDC, checked against each other: per day and hospital, admissions, discharges and the
midnight census counted from the warehouse, the stream tables and the internacoes changes Debezium captured.

Each source is read into the same shape, its *stays* (admission_id, hospital_id, admit_time, discharge_time,
admitted), and compared by pure functions. The counts cover the stays admitted on or after the first day
compared by an admission of the run's own days: a patient in bed since the warm-up (even one the warm-up's
last evening placed after the first midnight) has no admission file, event or change of the run's. A stay is in the census of day D
when it was admitted by midnight and not discharged before it (the simulation's own rule).

A difference is one (day, hospital, measure, admission) that a source lacks or counts extra, beside the record
that explains it; `explain` adds its likely cause from Evidence gathered at the edge (the ingest ledger and
batch/, the consumer group's lag, the connector's state, the slot and the topic's last change).
"""
from __future__ import annotations

import datetime as dt
from contextlib import closing
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hospsim import filekinds, sqlfiles
from hospsim.errors import HospsimError, ReconcileError

SOURCES = ("warehouse", "stream", "cdc")
MEASURES = ("admissions", "discharges", "census")
STAY_COLUMNS = ["admission_id", "hospital_id", "admit_time", "discharge_time", "admitted"]
COUNT_COLUMNS = ["day", "hospital_id", "measure"]
DIFF_COLUMNS = ["day", "hospital_id", "measure", "admission_id", "source", "problem", "record", "cause", "detail"]
QUERIES = "reconcile/queries.sql"
RECORD_KIND = {"admission": "admissions", "discharge": "discharges"}
"""The batch file kind that carries each record of a stay (the stream's event type is the record's name)."""


def stays(frame: pd.DataFrame) -> pd.DataFrame:
    """A source's stays in the common shape: one row per admission_id, naive times, NaT while in bed."""
    out = frame.reindex(columns=STAY_COLUMNS).copy()
    for column in ("admit_time", "discharge_time"):
        out[column] = pd.to_datetime(out[column])
    out["admitted"] = out["admitted"].fillna(False).astype(bool)
    return out.drop_duplicates("admission_id").sort_values("admission_id", ignore_index=True)


def measured(stay: pd.DataFrame, first: dt.date, last: dt.date) -> pd.DataFrame:
    """(day, hospital_id, measure, admission_id) of every count the stays make in [first, last]."""
    made = _stamped(stay["admission_id"]).fillna(stay["admit_time"])   # the day whose file holds the admission
    s = stay[(made >= pd.Timestamp(first)) & (stay["admit_time"] >= pd.Timestamp(first)) & stay["admit_time"].notna()]
    admit_day = s["admit_time"].dt.normalize()
    out_day = s["discharge_time"].dt.normalize()
    lo, hi = pd.Timestamp(first), pd.Timestamp(last)
    parts = []
    admitted = s["admitted"] & (admit_day <= hi)
    parts.append(s[admitted].assign(day=admit_day[admitted], measure="admissions"))
    left = out_day.notna() & (out_day <= hi)
    parts.append(s[left].assign(day=out_day[left], measure="discharges"))
    # census: from the admit day to the day before the discharge's (or the last day, still in bed)
    end = out_day.sub(pd.Timedelta(days=1)).fillna(hi).clip(upper=hi)
    nights = ((end - admit_day).dt.days + 1).clip(lower=0).to_numpy()
    rows = np.repeat(np.arange(len(s)), nights)
    offset = np.arange(rows.size) - np.repeat(np.cumsum(nights) - nights, nights)
    census = s.iloc[rows].assign(day=admit_day.to_numpy()[rows] + pd.to_timedelta(offset, unit="D"),
                                 measure="census")
    parts.append(census)
    frame = pd.concat(parts, ignore_index=True)
    frame = frame[frame["day"] >= lo]
    frame["day"] = frame["day"].dt.date
    return frame[["day", "hospital_id", "measure", "admission_id"]].reset_index(drop=True)


def reference(sources: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The union of what the sources know of each stay: the stay as the most complete source tells it."""
    frame = pd.concat(list(sources.values()), ignore_index=True)
    if frame.empty:
        return stays(frame)
    first = frame.groupby("admission_id", sort=True).agg(
        hospital_id=("hospital_id", "first"), admit_time=("admit_time", "first"),
        discharge_time=("discharge_time", "first"), admitted=("admitted", "any"))
    return stays(first.reset_index())


def record_problems(sources: dict[str, pd.DataFrame], ref: pd.DataFrame) -> dict[tuple[str, str], dict]:
    """{(source, admission_id): {record: day of the record}}: the admission or discharge a source lacks, or
    "values" where it holds other times or another hospital than the reference."""
    out: dict[tuple[str, str], dict] = {}
    keyed = ref.set_index("admission_id")
    for source, stay in sources.items():
        mine = stay.set_index("admission_id").reindex(keyed.index)
        known = mine["hospital_id"].notna()
        lacks = {"admission": keyed["admitted"] & ~mine["admitted"].fillna(False).astype(bool),
                 "discharge": keyed["discharge_time"].notna() & mine["discharge_time"].isna(),
                 "values": known & ((mine["hospital_id"] != keyed["hospital_id"])
                                    | (mine["admit_time"] != keyed["admit_time"])
                                    | (mine["discharge_time"].notna()
                                       & (mine["discharge_time"] != keyed["discharge_time"])))}
        days = {"admission": _stamped(keyed.index.to_series()).fillna(keyed["admit_time"]),
                "discharge": keyed["discharge_time"], "values": keyed["admit_time"]}
        for record, mask in lacks.items():
            for admission_id in keyed.index[mask.to_numpy()]:
                out.setdefault((source, admission_id), {})[record] = days[record][admission_id].date()
    return out


def _stamped(admission_ids: pd.Series) -> pd.Series:
    """The simulated day in each admission id (A20250210-000001): the day whose file holds the admission,
    even when the patient reached the bed after midnight."""
    return pd.to_datetime(admission_ids.astype(str).str[1:9], format="%Y%m%d", errors="coerce")


def _record_of(measure: str, found: dict) -> str:
    """Which of a source's record problems explains a difference in `measure`."""
    order = {"admissions": ("admission", "values", "discharge"), "discharges": ("discharge", "values", "admission"),
             "census": ("admission", "discharge", "values")}[measure]
    return next((r for r in order if r in found), "values")


@dataclass
class Reconciliation:
    """counts: day, hospital_id, measure, one column per source, agree. differences: DIFF_COLUMNS."""
    first: dt.date
    last: dt.date
    sources: tuple[str, ...]
    counts: pd.DataFrame
    differences: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.differences.empty

    def summary(self) -> dict:
        return {"first_day": self.first.isoformat(), "last_day": self.last.isoformat(), "sources": list(self.sources),
                "groups": len(self.counts), "groups_disagreeing": int((~self.counts["agree"]).sum()),
                "differences": len(self.differences), "notes": self.notes,
                "causes": self.differences.groupby("cause").size().to_dict() if len(self.differences) else {}}

    def to_json(self) -> dict:
        counts = self.counts.assign(day=self.counts["day"].map(str))
        diffs = self.differences.assign(day=self.differences["day"].map(str))
        return {**self.summary(), "counts": counts.to_dict("records"), "difference_rows": diffs.to_dict("records")}


def compare(sources: dict[str, pd.DataFrame], first: dt.date, last: dt.date) -> Reconciliation:
    """Count each source's stays and list every (day, hospital, measure, admission) they do not share."""
    sources = {name: stays(frame) for name, frame in sources.items()}
    ref = reference(sources)
    truth = measured(ref, first, last)
    per_source = {name: measured(frame, first, last) for name, frame in sources.items()}
    keys = ["day", "hospital_id", "measure", "admission_id"]
    counts = truth[COUNT_COLUMNS].drop_duplicates()
    diffs = []
    for name, got in per_source.items():
        tally = got.groupby(COUNT_COLUMNS).size().rename(name).reset_index()
        counts = counts.merge(tally, on=COUNT_COLUMNS, how="outer")
        both = truth.merge(got, on=keys, how="outer", indicator=True)
        for side, problem in (("left_only", "missing"), ("right_only", "extra")):
            part = both.loc[both["_merge"] == side, keys].assign(source=name, problem=problem)
            diffs.append(part)
    counts = counts.fillna({name: 0 for name in sources}).astype({name: "int64" for name in sources})
    counts["agree"] = counts[list(sources)].nunique(axis=1).eq(1)
    counts = counts.sort_values(COUNT_COLUMNS, ignore_index=True)
    frame = pd.concat(diffs, ignore_index=True) if diffs else pd.DataFrame(columns=[*keys, "source", "problem"])
    problems = record_problems(sources, ref)
    found = [problems.get((s, a), {}) for s, a in zip(frame["source"], frame["admission_id"])]
    frame["record"] = [_record_of(m, f) for m, f in zip(frame["measure"], found)]
    frame["record_day"] = [f.get(r) for r, f in zip(frame["record"], found)]
    frame = frame.sort_values(["day", "hospital_id", "measure", "admission_id", "source"], ignore_index=True)
    return Reconciliation(first, last, tuple(sources), counts, frame)


# --------------------------------------------------------------------------------------------- causes


@dataclass(frozen=True)
class Evidence:
    """What the edges saw, for the likely causes: None where a fact was not looked at or not there."""
    ledger: frozenset[str] = frozenset()      # file names in the warehouse's ingest ledger
    batch: frozenset[str] = frozenset()       # file names waiting in data/batch
    rejected: dict[str, str] = field(default_factory=dict)   # file name in data/rejected -> the ingestor's reason
    names: dict[str, str] = field(default_factory=dict)      # a day's CSV name -> its Parquet file (a Parquet run)
    stream_lag: dict[str, int] = field(default_factory=dict)   # record (event type) -> messages not consumed
    connector: str | None = None              # connector and task states, e.g. "RUNNING" or "PAUSED"
    slot_behind_bytes: int | None = None
    topic_last_change: pd.Timestamp | None = None   # commit time of the newest change in the CDC topic
    table_last_change: pd.Timestamp | None = None   # the newest created_at/updated_at in internacoes


def cause(source: str, record: str, record_day: dt.date | None, ev: Evidence) -> tuple[str, str]:
    """(cause, detail) of a source lacking one record of a stay."""
    if record == "values":
        return "values differ", f"the {source} holds other times or another hospital for this stay"
    kind = RECORD_KIND[record]
    if source == "warehouse":
        name = filekinds.day_file_name(kind, record_day)
        shown = ev.names.get(name, name)
        if name in ev.rejected and name not in ev.ledger:
            return "file not yet ingested", f"{shown} was rejected by the ingestor: {ev.rejected[name]}"
        if name in ev.batch and name not in ev.ledger:
            return "file not yet ingested", f"{shown} is in batch/ but not in the ingest ledger"
        if name not in ev.ledger:
            return "file not yet ingested", f"{shown} is missing: neither in batch/ nor in the ingest ledger"
        return "lost event", f"{shown} was ingested without this {record}"
    if source == "stream":
        behind = ev.stream_lag.get(record, 0)
        if behind > 0:
            return "consumer lag", f"the processors' group is {behind} message(s) behind on the {record} topic"
        return "lost event", f"no {record} event in the stream tables and the group has consumed its topic"
    return _cdc_cause(record, ev)


def _cdc_cause(record: str, ev: Evidence) -> tuple[str, str]:
    slot = "" if ev.slot_behind_bytes is None else f"; slot {ev.slot_behind_bytes} bytes behind the WAL"
    if ev.connector != "RUNNING":
        return "connector behind", f"the connector is {ev.connector or 'not registered'}{slot}"
    topic, table = ev.topic_last_change, ev.table_last_change
    if table is not None and (topic is None or topic < table):
        return "connector behind", f"the topic's last change ({topic}) is older than the table's ({table}){slot}"
    op = "INSERT" if record == "admission" else "UPDATE"
    return "lost event", f"no {op} of this internacao in the Debezium topic, the connector RUNNING{slot}"


def explain(result: Reconciliation, ev: Evidence) -> Reconciliation:
    """The differences with their likely cause and its detail."""
    frame = result.differences
    found = [cause(s, r, d, ev) for s, r, d in zip(frame["source"], frame["record"], frame.get("record_day", []))]
    frame = frame.assign(cause=[c for c, _ in found], detail=[d for _, d in found])
    result.differences = frame.reindex(columns=DIFF_COLUMNS)
    return result


# --------------------------------------------------------------------------------------------- readers


def _rows(pg_info, name: str, args: dict | None = None, **schemas: str) -> pd.DataFrame:
    with closing(pg_info.connect()) as conn, conn.cursor() as cur:
        cur.execute(sqlfiles.render(QUERIES, name, **schemas), args or {})
        return pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description])


def _has_table(pg_info, schema: str, table: str) -> bool:
    return bool(_rows(pg_info, "exists", {"schema": schema, "table": table}).iat[0, 0])


def warehouse_stays(params, pg_info) -> pd.DataFrame:
    schema = params.warehouse.schema
    if not _has_table(pg_info, schema, "fact_discharge"):
        return stays(pd.DataFrame(columns=STAY_COLUMNS))
    return stays(_rows(pg_info, "warehouse_stays", warehouse=schema))


def stream_stays(params, pg_info) -> pd.DataFrame:
    schema = params.stream.schema
    if not _has_table(pg_info, schema, "discharges"):
        return stays(pd.DataFrame(columns=STAY_COLUMNS))
    return stays(_rows(pg_info, "stream_stays", stream=schema))


def internacoes_topic(params) -> str:
    o = params.oltp
    return f"{o.topic_prefix}.{o.schema}.internacoes"


def cdc_stays(changes: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Stays from the internacoes change events (table, op, before, after, committed_at); also how many rows
    carried ids that world.internacao_id did not make (a standalone OLTP's rows), left out."""
    from hospsim.errors import OltpError
    from hospsim.oltp.world import admission_of
    rows, foreign = {}, 0
    for op, after in zip(changes.get("op", []), changes.get("after", [])):
        if op not in ("c", "r", "u") or not after:
            continue
        try:
            admission_id, hospital_id = admission_of(after["id"])
        except OltpError:
            foreign += 1
            continue
        stay = rows.setdefault(admission_id, [admission_id, hospital_id, after.get("data_entrada"), None, False])
        stay[2] = after.get("data_entrada") or stay[2]
        stay[3] = after.get("data_saida") or stay[3]
        stay[4] = stay[4] or op in ("c", "r")
    frame = pd.DataFrame(list(rows.values()), columns=STAY_COLUMNS)
    for column in ("admit_time", "discharge_time"):   # UTC instants with the simulation's wall-clock digits
        frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601").dt.tz_localize(None)
    return stays(frame), foreign


def stream_lag(params, bootstrap: str) -> dict[str, int]:
    """Messages the processors' group has not consumed, per event type that carries a stay's record."""
    from hospsim.stream import metrics, topics
    frame = metrics.lag(params, bootstrap)
    names = topics.names(params)
    return {record: int(frame.loc[frame["topic"] == names[record], "lag"].sum()) for record in RECORD_KIND}


def _connector_state(params, url: str) -> str | None:
    """"RUNNING" when the connector and every task run; else what is not (None: not registered)."""
    from hospsim.services.connect import ConnectClient
    try:
        status = ConnectClient(url).status(params.oltp.connector_name)
    except HospsimError as exc:
        return f"unreachable ({exc})"
    if status is None:
        return None
    states = [status["connector"]["state"], *(t["state"] for t in status.get("tasks", []))]
    return "RUNNING" if set(states) == {"RUNNING"} else "/".join(dict.fromkeys(s for s in states if s != "RUNNING"))


def _cdc_evidence(params, pg_info, changes: pd.DataFrame, connect_url: str) -> dict:
    oltp = params.oltp.schema
    table_last = (_rows(pg_info, "table_last_change", oltp=oltp).iat[0, 0]
                  if _has_table(pg_info, oltp, "internacoes") else None)
    slot = _rows(pg_info, "slot_behind", {"slot": params.oltp.slot})
    return {"connector": _connector_state(params, connect_url),
            "slot_behind_bytes": None if slot.empty else int(slot.iat[0, 0]),
            "topic_last_change": changes["committed_at"].max() if len(changes) else None,
            "table_last_change": None if table_last is None else pd.Timestamp(table_last)}


def _reason(path) -> str:
    """The first line of the ingestor's <file>.reason.txt, less the file's name it starts with."""
    note = path.with_name(path.name + ".reason.txt")
    first = note.read_text(encoding="utf-8").splitlines()[0] if note.is_file() else "no reason file"
    return first.removeprefix(f"{path.name}: ")


def gather(params, pg_info, sources=SOURCES, *, bootstrap: str | None = None, connect_url: str | None = None,
           optional_cdc: bool = False) -> tuple[dict[str, pd.DataFrame], Evidence, list[str]]:
    """Read each source's stays and the evidence for causes: (stays by source, Evidence, notes). Kafka that
    does not answer is a ReconcileError naming it; with optional_cdc, the CDC leg is left out instead (with a
    note), as it is when its topic holds no world-mode internacoes (a standalone OLTP)."""
    from hospsim import services, stream
    frames, facts, notes = {}, {}, []
    bootstrap = bootstrap or services.bootstrap_servers(params)
    down = stream.broker_reachable(bootstrap) if {"stream", "cdc"} & set(sources) else None
    if down and not optional_cdc:
        raise ReconcileError(f"Kafka at {bootstrap} does not answer ({down}): the stream's lag and the CDC leg "
                             "read it; start it (hospsim services up) or compare --sources warehouse,stream")
    if "warehouse" in sources:
        frames["warehouse"] = warehouse_stays(params, pg_info)
        facts |= _warehouse_evidence(params, pg_info)
    if "stream" in sources:
        frames["stream"] = stream_stays(params, pg_info)
        facts["stream_lag"] = {} if down else stream_lag(params, bootstrap)
    if "cdc" in sources and not down:
        changes = _cdc_changes(params, bootstrap)
        frames["cdc"], foreign = cdc_stays(changes)
        if foreign:
            notes.append(f"{foreign} change(s) in {internacoes_topic(params)} have ids world.internacao_id did not "
                         "make (a standalone OLTP's rows): left out")
        facts |= _cdc_evidence(params, pg_info, changes, connect_url or services.connect_url(params))
    if optional_cdc and frames.get("cdc") is not None and frames["cdc"].empty:
        frames.pop("cdc")
    if optional_cdc and "cdc" in sources and "cdc" not in frames:
        why = f"Kafka does not answer ({down})" if down else f"no world-mode internacoes in {internacoes_topic(params)}"
        notes.append(f"the CDC leg is left out: {why}")
    return frames, Evidence(**facts), notes


def _warehouse_evidence(params, pg_info) -> dict:
    wh, data = params.warehouse.schema, params.dirs.data_dir
    ledger = _rows(pg_info, "ledger_files", warehouse=wh)["file_name"] if _has_table(pg_info, wh, "ingest_ledger") else []
    batch, rejected = batch_files(data / "batch"), batch_files(data / "rejected")
    return {"ledger": frozenset(map(day_name, ledger)), "batch": frozenset(map(day_name, batch)),
            "rejected": {day_name(n): _reason(data / "rejected" / n) for n in rejected},
            "names": {day_name(n): n for n in (*ledger, *batch, *rejected) if n.endswith(".parquet")}}


def batch_files(folder) -> list[str]:
    """The batch files under folder by their names in the ledger: a CSV file's name, a Parquet file's path
    below the folder (<kind>/region=<slug>/day=<date>/part-0.parquet)."""
    return [p.name for p in folder.glob("*.csv")] + [p.relative_to(folder).as_posix() for p in folder.rglob("*.parquet")]


def day_name(name: str) -> str:
    """A daily Parquet file as the CSV file of its kind and day (one name per day for the causes); others as
    they are."""
    if not name.endswith(".parquet"):
        return name
    match = filekinds.classify(name)
    return filekinds.day_file_name(match.kind.kind, match.date)


def _cdc_changes(params, bootstrap: str) -> pd.DataFrame:
    from hospsim import cdc
    return cdc.TopicSource(bootstrap, {"internacoes": internacoes_topic(params)}).events(images=True)


def last_day(frames: dict[str, pd.DataFrame], first: dt.date) -> dt.date:
    """The latest simulated day any source knows: the day in an admission's id (a patient placed after
    midnight is in the admissions of the day that placed them) or a discharge's day (first when none)."""
    stamped = _stamped(pd.concat([f["admission_id"] for f in frames.values()], ignore_index=True))
    out = pd.concat([f["discharge_time"] for f in frames.values()], ignore_index=True)
    latest = pd.concat([stamped, pd.to_datetime(out)], ignore_index=True).max()
    return first if pd.isna(latest) else max(first, latest.date())


def run(params, pg_info, sources=SOURCES, *, until: dt.date | None = None, bootstrap: str | None = None,
        connect_url: str | None = None, optional_cdc: bool = False) -> Reconciliation:
    """Read, compare and explain: what `hospsim reconcile` and the dashboard panel show."""
    frames, evidence, notes = gather(params, pg_info, sources, bootstrap=bootstrap, connect_url=connect_url,
                                     optional_cdc=optional_cdc)
    first = params.simulation.start_date
    result = explain(compare(frames, first, until or last_day(frames, first)), evidence)
    result.notes.extend(notes)
    return result
