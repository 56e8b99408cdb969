"""The pure comparison: counts per day, hospital and measure, each difference with its ids and likely cause."""
from __future__ import annotations

import datetime as dt
from contextlib import closing

import pandas as pd
import pytest

from hospsim import config, reconcile
from hospsim.oltp.world import internacao_id

D1, D3 = dt.date(2025, 2, 10), dt.date(2025, 2, 12)
STAYS = pd.DataFrame([
    # admitted day 1, discharged day 3; admitted day 2, still in bed; admitted and discharged on day 2
    ("A20250210-000001", "H01", "2025-02-10 03:00", "2025-02-12 09:00", True),
    ("A20250211-000001", "H02", "2025-02-11 13:30", None, True),
    ("A20250211-000002", "H01", "2025-02-11 08:00", "2025-02-11 20:00", True),
    # in bed since the warm-up: outside every count
    ("A20250201-000004", "H01", "2025-02-01 08:00", "2025-02-11 10:00", False),
], columns=reconcile.STAY_COLUMNS)


def three(**changed) -> dict[str, pd.DataFrame]:
    return {s: reconcile.stays(changed.get(s, STAYS)) for s in reconcile.SOURCES}


def counts_of(result, measure: str) -> dict:
    rows = result.counts[result.counts["measure"] == measure]
    return {(d.day, h): n for d, h, n in zip(rows["day"], rows["hospital_id"], rows["warehouse"])}


def test_the_three_agree_and_count_by_the_simulations_rules():
    result = reconcile.compare(three(), D1, D3)
    assert result.ok and result.counts["agree"].all()
    assert counts_of(result, "admissions") == {(10, "H01"): 1, (11, "H01"): 1, (11, "H02"): 1}
    assert counts_of(result, "discharges") == {(11, "H01"): 1, (12, "H01"): 1}
    # census at midnight: day 10 and 11 for the first stay, 11 and 12 for the one still in bed
    assert counts_of(result, "census") == {(10, "H01"): 1, (11, "H01"): 1, (11, "H02"): 1, (12, "H02"): 1}


def test_a_warm_up_stay_placed_after_the_first_midnight_is_no_run_admission():
    """The warm-up's last evening may place a patient at 00:40 of the first day: its admission belongs to an
    unwritten day, so no file or event has it, while world-mode OLTP opens it at its admit time."""
    warm_up = pd.DataFrame([("A20250209-000007", "H01", "2025-02-10 00:40", None, True)],
                           columns=reconcile.STAY_COLUMNS)
    result = reconcile.compare(three(cdc=pd.concat([STAYS, warm_up], ignore_index=True)), D1, D3)
    assert result.ok, result.differences.to_string()


def test_a_lost_admission_is_named_with_its_census_nights():
    lost = STAYS[STAYS["admission_id"] != "A20250211-000001"]
    result = reconcile.explain(reconcile.compare(three(stream=lost), D1, D3), reconcile.Evidence())
    assert not result.ok
    assert set(result.differences["admission_id"]) == {"A20250211-000001"}
    assert set(result.differences["source"]) == {"stream"} and set(result.differences["problem"]) == {"missing"}
    assert sorted(zip(result.differences["measure"], result.differences["day"])) == [
        ("admissions", dt.date(2025, 2, 11)), ("census", dt.date(2025, 2, 11)), ("census", dt.date(2025, 2, 12))]
    assert set(result.differences["cause"]) == {"lost event"}
    assert result.counts.loc[~result.counts["agree"], "stream"].eq(0).all()


def test_a_missing_discharge_counts_an_extra_night():
    open_again = STAYS.assign(discharge_time=STAYS["discharge_time"].where(STAYS["admission_id"] != "A20250210-000001"))
    evidence = reconcile.Evidence(connector="PAUSED")
    result = reconcile.explain(reconcile.compare(three(cdc=open_again), D1, D3), evidence)
    diffs = result.differences
    assert list(zip(diffs["measure"], diffs["problem"], diffs["day"])) == [
        ("census", "extra", dt.date(2025, 2, 12)), ("discharges", "missing", dt.date(2025, 2, 12))]
    assert set(diffs["admission_id"]) == {"A20250210-000001"} and set(diffs["record"]) == {"discharge"}
    assert set(diffs["cause"]) == {"connector behind"} and "PAUSED" in diffs["detail"].iat[0]


@pytest.mark.parametrize("batch, ledger, cause, words", [
    ({"admissions_2025-02-11.csv"}, set(), "file not yet ingested", "in batch/ but not in the ingest ledger"),
    (set(), set(), "file not yet ingested", "is missing"),
    (set(), {"admissions_2025-02-11.csv"}, "lost event", "was ingested without"),
    ({"rejected"}, set(), "file not yet ingested", "was rejected by the ingestor: a bad row"),
])
def test_a_warehouse_gap_points_at_its_file(batch, ledger, cause, words):
    lost = STAYS[STAYS["admission_id"] != "A20250211-000001"]
    rejected = {"admissions_2025-02-11.csv": "a bad row"} if batch == {"rejected"} else {}
    evidence = reconcile.Evidence(batch=frozenset(batch - {"rejected"}), ledger=frozenset(ledger), rejected=rejected)
    result = reconcile.explain(reconcile.compare(three(warehouse=lost), D1, D3), evidence)
    assert set(result.differences["cause"]) == {cause}
    assert all("admissions_2025-02-11.csv" in d and words in d for d in result.differences["detail"])


def test_a_parquet_run_s_files_are_named_by_their_partition_paths(tmp_path):
    part = "admissions/region=campinas/day=2025-02-11/part-0.parquet"
    (tmp_path / part).parent.mkdir(parents=True)
    (tmp_path / part).write_bytes(b"PAR1")
    (tmp_path / "census_2025-02-11.csv").write_text("date\n")
    assert sorted(reconcile.batch_files(tmp_path)) == [part, "census_2025-02-11.csv"]
    assert reconcile.day_name(part) == "admissions_2025-02-11.csv"
    assert reconcile.day_name("census_2025-02-11.csv") == "census_2025-02-11.csv"
    lost = STAYS[STAYS["admission_id"] != "A20250211-000001"]
    evidence = reconcile.Evidence(batch=frozenset({"admissions_2025-02-11.csv"}),
                                  names={"admissions_2025-02-11.csv": part})
    result = reconcile.explain(reconcile.compare(three(warehouse=lost), D1, D3), evidence)
    assert set(result.differences["cause"]) == {"file not yet ingested"}
    assert all(d.startswith(f"{part} is in batch/") for d in result.differences["detail"])


def test_a_patient_placed_after_midnight_points_at_the_file_of_the_day_that_placed_them():
    late = pd.DataFrame([("A20250211-000009", "H01", "2025-02-12 00:40", None, True)], columns=reconcile.STAY_COLUMNS)
    result = reconcile.explain(reconcile.compare(three(stream=pd.concat([STAYS, late]),
                                                       cdc=pd.concat([STAYS, late])), D1, D3), reconcile.Evidence())
    assert set(result.differences["admission_id"]) == {"A20250211-000009"}
    assert set(result.differences["day"]) == {dt.date(2025, 2, 12)}
    assert result.differences["detail"].str.startswith("admissions_2025-02-11.csv is missing").all()


def test_stream_lag_explains_before_a_lost_event():
    lost = STAYS[STAYS["admission_id"] != "A20250210-000001"]
    lagging = reconcile.Evidence(stream_lag={"admission": 3, "discharge": 0})
    result = reconcile.explain(reconcile.compare(three(stream=lost), D1, D3), lagging)
    by_measure = dict(zip(result.differences["measure"], result.differences["cause"]))
    assert by_measure == {"admissions": "consumer lag", "discharges": "lost event", "census": "consumer lag"}


def test_a_topic_older_than_its_table_is_a_connector_behind():
    lost = STAYS[STAYS["admission_id"] != "A20250210-000001"]
    old = reconcile.Evidence(connector="RUNNING", topic_last_change=pd.Timestamp("2026-01-01 10:00", tz="UTC"),
                             table_last_change=pd.Timestamp("2026-01-01 10:05", tz="UTC"))
    caught_up = reconcile.Evidence(connector="RUNNING", topic_last_change=old.table_last_change,
                                   table_last_change=old.table_last_change)
    assert set(reconcile.explain(reconcile.compare(three(cdc=lost), D1, D3), old).differences["cause"]) == {
        "connector behind"}
    assert set(reconcile.explain(reconcile.compare(three(cdc=lost), D1, D3), caught_up).differences["cause"]) == {
        "lost event"}


def test_other_values_are_a_difference_of_their_own():
    moved = STAYS.assign(hospital_id=STAYS["hospital_id"].where(STAYS["admission_id"] != "A20250211-000002", "H03"))
    result = reconcile.explain(reconcile.compare(three(stream=moved), D1, D3), reconcile.Evidence())
    assert set(result.differences["cause"]) == {"values differ"}
    assert set(result.differences["admission_id"]) == {"A20250211-000002"}


def test_cdc_stays_follow_the_id_and_time_conventions():
    first = internacao_id("A20250210-000001", "H01")
    changes = pd.DataFrame({"op": ["c", "u", "c", "c"], "after": [
        {"id": first, "data_entrada": "2025-02-10T03:00:00Z", "data_saida": None},
        {"id": first, "data_entrada": "2025-02-10T03:00:00Z", "data_saida": "2025-02-12T09:00:00.000000Z"},
        {"id": internacao_id("A20250211-000001", "H02"), "data_entrada": "2025-02-11T13:30:00Z", "data_saida": None},
        {"id": 17, "data_entrada": "2025-02-11T13:30:00Z", "data_saida": None}]})
    stays, foreign = reconcile.cdc_stays(changes)
    assert foreign == 1
    assert stays.to_dict("records") == reconcile.stays(STAYS.iloc[:2]).to_dict("records")


# --------------------------------------------------------------------------- on the real services
# One small run, its files ingested, its events through Kafka into the stream tables, and its admissions
# written as world-mode internacoes (the contract's ids and times) that the real Debezium captures.

WORLD = {"seed": 7, "simulation.population": 40_000, "simulation.days": 4, "simulation.warmup_days": 3,
         "simulation.start_date": "2025-02-10", "oltp.source": "world"}


def world_names(tag: str) -> dict:
    return {"warehouse.schema": f"wh_{tag}", "stream.schema": f"st_{tag}", "kafka.topic_prefix": f"t{tag}",
            "stream.group_id": f"g{tag}", "oltp.schema": f"ol_{tag}", "oltp.publication": f"ol_{tag}_pub",
            "oltp.slot": f"ol_{tag}_slot", "oltp.connector_name": f"ol-{tag}", "oltp.topic_prefix": f"cdc{tag}"}


def run_frames(params, kind: str) -> pd.DataFrame:
    """The run's files of a kind, each row with the day of its file (file_day)."""
    files = sorted(params.dirs.runs_dir.glob(f"*/files/{kind}_*.csv"))
    times = ["admit_time"] + (["discharge_time"] if kind == "discharges" else [])
    return pd.concat([pd.read_csv(f, parse_dates=times).assign(file_day=dt.date.fromisoformat(f.stem[-10:]))
                      for f in files], ignore_index=True)


def oltp_changes(params, first: dt.date, days: set[dt.date]) -> list[tuple[str, tuple]]:
    """(statement, args) that write the run's stays of `days` as world-mode internacoes, in simulated order:
    a paciente and an internacao at admission, data_saida at discharge (stays admitted from `first` only)."""
    adm, dis = run_frames(params, "admissions"), run_frames(params, "discharges")
    s = params.oltp.schema
    changes = []
    for row in adm[adm["file_day"].isin(days)].itertuples():
        iid, at = internacao_id(row.admission_id, row.hospital_id), row.admit_time.isoformat() + "+00"
        digits = f"{row.person_id:011d}"
        changes.append((row.admit_time, (f"INSERT INTO {s}.pacientes (id, cpf, nome, sexo, data_nascimento, telefone, "
                        "endereco, data_cadastro) VALUES (%s, %s, 'P', 'F', '1950-01-01', '-', '-', %s) "
                        "ON CONFLICT (id) DO NOTHING"),
                        (row.person_id + 1, f"{digits[:3]}.{digits[3:6]}.{digits[6:9]}-{digits[9:]}", at)))
        changes.append((row.admit_time, (f"INSERT INTO {s}.internacoes (id, paciente_id, data_entrada, motivo) "
                        "VALUES (%s, %s, %s, 'admission')"), (iid, row.person_id + 1, at)))
    ours = dis[(dis["admit_time"] >= pd.Timestamp(first)) & dis["file_day"].isin(days)]
    for row in ours.itertuples():
        changes.append((row.discharge_time, f"UPDATE {s}.internacoes SET data_saida = %s WHERE id = %s",
                        (row.discharge_time.isoformat() + "+00", internacao_id(row.admission_id, row.hospital_id))))
    return [(sql, args) for _, sql, args in sorted(changes, key=lambda c: c[0])]


def apply_oltp(pg, statements) -> dict[str, int]:
    with closing(pg.connect()) as conn, conn, conn.cursor() as cur:
        for sql, args in statements:
            cur.execute(sql, args)
    inserts = sum(s.startswith("INSERT INTO") and ".internacoes" in s for s, _ in statements)
    return {"INSERT": inserts, "UPDATE": sum(s.startswith("UPDATE") for s, _ in statements)}


def start_cdc(params, pg, connect_worker):
    from hospsim import cdc
    from hospsim.oltp import schema as oltp_schema
    from hospsim.services.connect import ConnectClient
    oltp_schema.drop(params, pg)
    oltp_schema.init(params, pg)
    cdc.register(connect_worker.url, cdc.connector_config(params, pg))
    client = ConnectClient(connect_worker.url)
    client.wait_running(params.oltp.connector_name, timeout=90)
    return client


def wait_captured(params, bootstrap: str, expected: dict[str, int]) -> None:
    from hospsim import cdc
    source = cdc.TopicSource(bootstrap, {"internacoes": reconcile.internacoes_topic(params)})
    source.wait_for({"internacoes": expected}, timeout_s=90, images=False)


@pytest.fixture(scope="module")
def world(tmp_path_factory, pg, kafka_broker, connect_worker):
    """(params, the days, Debezium's client): a clean run reconciled on every leg."""
    import uuid

    from hospsim import simulate, stream
    from hospsim.oltp import schema as oltp_schema
    from hospsim.oltp import world as oltp_world
    from hospsim.warehouse import ingest  # the one-pass function
    from tests.conftest import small_params
    tag = uuid.uuid4().hex[:8]
    params = small_params(tmp_path_factory.mktemp("reconcile"), pg, {
        **WORLD, **world_names(tag), "kafka.bootstrap_servers": kafka_broker.bootstrap_servers,
        "kafka.connect_url": connect_worker.url, "stream.commit_interval_s": 0.5})
    simulate.run(params, progress=False)
    first = params.simulation.start_date
    days = {first + dt.timedelta(days=i) for i in range(params.simulation.days)}
    ingest(params)
    stream.deliver(params, pg)
    client = start_cdc(params, pg, connect_worker)
    applied = oltp_world.run_days(params, pg)      # world mode itself: the Applier, as `hospsim oltp world`
    wait_captured(params, kafka_broker.bootstrap_servers,
                  {op: applied[("internacoes", op)] for op in ("INSERT", "UPDATE")})
    yield params, sorted(days), client
    client.delete(params.oltp.connector_name)
    oltp_schema.drop(params, pg)


@pytest.mark.services
def test_a_clean_run_reconciles_with_zero_differences(world, pg):
    params, days, _ = world
    result = reconcile.run(params, pg)
    assert result.ok, result.differences.head(20).to_string()
    assert (result.first, result.last) == (days[0], days[-1]) and result.notes == []
    # the counts are the batch files' own, on every leg
    adm = run_frames(params, "admissions")
    for source in reconcile.SOURCES:
        got = result.counts[result.counts["measure"] == "admissions"].groupby("day")[source].sum()
        in_days = adm[adm["admit_time"].dt.date <= days[-1]]     # one placed after the last midnight waits
        assert got.to_dict() == in_days.groupby(in_days["admit_time"].dt.date).size().to_dict(), source
    census = result.counts[result.counts["measure"] == "census"]
    assert census["warehouse"].sum() > 0 and census["day"].nunique() == len(days)


def reconcile_cli(params, tmp_path, capsys, *args: str, text: bool = False) -> tuple[int, dict | str]:
    """`hospsim reconcile --json` (or its text) in this process, on params written as a file."""
    import json

    import yaml

    from hospsim import cli
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params.to_dict(), allow_unicode=True, sort_keys=False))
    capsys.readouterr()
    code = cli.main(["reconcile", *([] if text else ["--json"]), "-f", str(path), *args])
    out = capsys.readouterr().out
    return code, out if text else json.loads(out)


@pytest.mark.services
def test_the_command_and_the_panel_agree_with_the_run(world, pg, tmp_path, capsys):
    from hospsim import lab, plots
    params, days, _ = world
    code, out = reconcile_cli(params, tmp_path, capsys)
    assert code == 0 and out["differences"] == 0 and out["difference_rows"] == []
    code, text = reconcile_cli(params, tmp_path, capsys, "--until", days[-2].isoformat(), text=True)
    assert code == 0 and text.startswith(f"{days[0]} .. {days[-2]}, warehouse / stream / cdc: ")
    assert text.rstrip().endswith("0 disagree, 0 difference(s)")
    assert out["sources"] == list(reconcile.SOURCES) and out["last_day"] == days[-1].isoformat()
    assert sum(r["cdc"] for r in out["counts"] if r["measure"] == "admissions") > 0
    panel = lab.reconciliation(params, pg)
    assert panel.ok and panel.sources == reconcile.SOURCES
    assert plots.reconciliation(panel.counts, 0).layout.title.text.startswith("Batch, stream and CDC agree")
    # a standalone OLTP (no world-mode internacoes in the topic): the panel leaves the CDC leg out and says so
    standalone = config.with_overrides(params, {"oltp.topic_prefix": "nothing_here"})
    without = lab.reconciliation(standalone, pg)
    assert without.ok and without.sources == ("warehouse", "stream")
    topic = f"nothing_here.{params.oltp.schema}.internacoes"
    assert without.notes == [f"the CDC leg is left out: no world-mode internacoes in {topic}"]
    assert capsys.readouterr().out.startswith("note: the CDC leg is left out")
    # the command does not leave it out: an empty CDC leg is a difference on every stay
    code, out = reconcile_cli(standalone, tmp_path, capsys)
    assert code == 3 and {r["source"] for r in out["difference_rows"]} == {"cdc"}
    assert {r["cause"] for r in out["difference_rows"]} == {"connector behind"}


def differences_of(result, source: str, measure: str) -> set[str]:
    d = result.differences
    return set(d.loc[(d["source"] == source) & (d["measure"] == measure), "admission_id"])


@pytest.mark.faults
@pytest.mark.services
def test_a_batch_file_deleted_before_ingest_is_named(world, pg, tmp_path):
    import shutil

    from hospsim.warehouse import ingest
    from hospsim.warehouse import schema as wh_schema
    params, days, _ = world
    lost = f"admissions_{days[1].isoformat()}.csv"
    fault = config.with_overrides(params, {"paths.data_dir": str(tmp_path / "data"),
                                   "warehouse.schema": params.warehouse.schema + "_f"})
    batch = tmp_path / "data" / "batch"
    batch.mkdir(parents=True)
    for path in sorted(params.dirs.runs_dir.glob("*/files/*.csv")):
        if path.name != lost:
            shutil.copy2(path, batch / path.name)
    ingest(fault)
    try:
        result = reconcile.run(fault, pg)
    finally:
        with closing(pg.connect()) as conn:
            wh_schema.drop(conn, fault)
    assert not result.ok and set(result.differences["source"]) == {"warehouse"}
    gone = run_frames(params, "admissions").query("file_day == @days[1]")
    assert differences_of(result, "warehouse", "admissions") == set(gone.loc[gone["admit_time"].dt.date <= days[-1],
                                                                             "admission_id"])
    assert set(result.differences["cause"]) == {"file not yet ingested"}
    admissions = result.differences[result.differences["record"] == "admission"]
    assert admissions["detail"].str.contains(f"{lost} is missing").all()
    # that day's discharges wait in batch/ for their admissions; later ones with its patients were rejected
    waiting = result.differences[result.differences["record"] == "discharge"]
    that_day = waiting["detail"].str.startswith(f"discharges_{days[1].isoformat()}.csv is in batch/")
    rejected = waiting["detail"].str.contains("was rejected by the ingestor: references the warehouse cannot resolve")
    assert that_day.any() and (that_day | rejected).all()


@pytest.mark.faults
@pytest.mark.services
def test_a_stream_event_dropped_from_its_table_is_a_lost_event(world, pg, tmp_path, capsys):
    params, days, _ = world
    table = f'"{params.stream.schema}".admissions'
    with closing(pg.connect()) as conn, conn, conn.cursor() as cur:
        cur.execute(f"SELECT admission_id FROM {table} WHERE event_time::date = %s ORDER BY admission_id LIMIT 1",
                    (days[1],))
        (victim,) = cur.fetchone()
        cur.execute(f"CREATE TEMP TABLE kept AS SELECT * FROM {table} WHERE admission_id = %s", (victim,))
        cur.execute(f"DELETE FROM {table} WHERE admission_id = %s", (victim,))
        conn.commit()
        try:
            result = reconcile.run(params, pg)
            code, out = reconcile_cli(params, tmp_path, capsys)
            text = reconcile_cli(params, tmp_path, capsys, text=True)[1]
        finally:
            cur.execute(f"INSERT INTO {table} SELECT * FROM kept")
    assert set(result.differences["admission_id"]) == {victim}
    assert set(result.differences["source"]) == {"stream"} and differences_of(result, "stream", "admissions") == {victim}
    assert set(result.differences["cause"]) == {"lost event"}
    assert code == 3 and {(r["admission_id"], r["cause"]) for r in out["difference_rows"]} == {(victim, "lost event")}
    assert "differences:" in text and victim in text and "lost event" in text
    assert reconcile.run(params, pg).ok, "the event put back, the three agree again"


def set_connector(client, name: str, action: str, state: str) -> None:
    """pause or resume through Connect's REST API, then wait for the state."""
    import time
    import urllib.request
    urllib.request.urlopen(urllib.request.Request(f"{client.url}/connectors/{name}/{action}", method="PUT"),
                           timeout=15).close()
    deadline = time.monotonic() + 60
    while (client.status(name) or {}).get("connector", {}).get("state") != state:
        assert time.monotonic() < deadline, f"connector {name} not {state}: {client.status(name)}"
        time.sleep(0.3)
    if action == "pause":   # a poll already under way when the pause came still sends what it read: let it end
        time.sleep(2)


@pytest.mark.faults
@pytest.mark.services
def test_a_connector_paused_while_changes_continue_is_named(world, pg, kafka_broker, connect_worker):
    import uuid

    from hospsim.oltp import schema as oltp_schema
    params, days, _ = world
    tag = uuid.uuid4().hex[:8]
    paused = config.with_overrides(params, {k: v for k, v in world_names(tag).items() if k.startswith("oltp.")})
    name = paused.oltp.connector_name
    client = start_cdc(paused, pg, connect_worker)
    try:
        first = paused.simulation.start_date
        early = apply_oltp(pg, oltp_changes(paused, first, set(days[:-1])))
        wait_captured(paused, kafka_broker.bootstrap_servers, early)
        set_connector(client, name, "pause", "PAUSED")
        late = apply_oltp(pg, oltp_changes(paused, first, {days[-1]}))
        result = reconcile.run(paused, pg)
        assert not result.ok and set(result.differences["source"]) == {"cdc"}
        assert set(result.differences["cause"]) == {"connector behind"}
        assert result.differences["detail"].str.startswith("the connector is PAUSED").all()
        adm, dis = run_frames(paused, "admissions"), run_frames(paused, "discharges")
        last_admitted = adm.loc[(adm["file_day"] == days[-1]) & (adm["admit_time"].dt.date <= days[-1]), "admission_id"]
        last_discharged = dis.loc[(dis["file_day"] == days[-1]) & (dis["admit_time"] >= pd.Timestamp(first)),
                                  "admission_id"]
        assert differences_of(result, "cdc", "admissions") == set(last_admitted)
        assert differences_of(result, "cdc", "discharges") == set(last_discharged)
        # resumed, the connector catches up from its slot: nothing was lost, and the three agree again
        set_connector(client, name, "resume", "RUNNING")
        wait_captured(paused, kafka_broker.bootstrap_servers, {k: early[k] + late[k] for k in early})
        assert reconcile.run(paused, pg).ok
    finally:
        client.delete(name)
        oltp_schema.drop(paused, pg)


@pytest.mark.faults
@pytest.mark.services
def test_events_not_yet_processed_are_consumer_lag(world, pg):
    """A processor group that has consumed nothing, writing into stream tables of its own: every stay the
    stream lacks is named as consumer lag, not as lost."""
    from hospsim.stream import sink
    params, _, _ = world
    behind = config.with_overrides(params, {"stream.group_id": params.stream.group_id + "_new",
                                            "stream.schema": params.stream.schema + "_new"})
    try:
        result = reconcile.run(behind, pg)
    finally:
        with closing(pg.connect()) as conn:
            sink.drop_schema(conn, behind.stream.schema)
    assert set(result.differences["source"]) == {"stream"} and set(result.differences["cause"]) == {"consumer lag"}
    assert result.counts["stream"].eq(0).all() and result.counts["warehouse"].sum() > 0
    named = result.differences["detail"].str.contains(r"group is \d+ message\(s\) behind on the (admission|discharge)")
    assert named.all()
