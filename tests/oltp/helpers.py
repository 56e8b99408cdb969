"""Checks shared by the stream tests: the database against the simulator's own committed counters."""
from __future__ import annotations

from hospsim.oltp import schema

STATE_SQL = """SELECT
    (SELECT count(*) FROM {s}.consultas WHERE status <> 'agendada'),
    (SELECT count(*) FROM {s}.exames WHERE resultado <> 'Pendente'),
    (SELECT count(*) FROM {s}.internacoes WHERE data_saida IS NOT NULL),
    (SELECT (counts ->> 'pacientes.UPDATE')::bigint FROM {s}.stream_state),
    (SELECT events FROM {s}.stream_state)"""


def snapshot(params, pg) -> dict:
    """Rows per table, rows that moved (by their columns; pacientes: stream_state), events in stream_state."""
    counts = schema.counts(params, pg)
    with pg.connect() as conn, conn.cursor() as cur:
        cur.execute(STATE_SQL.format(s=params.oltp.schema))
        moved_c, moved_e, moved_i, upd_p, marked = cur.fetchone()
    return {"rows": dict(zip(counts["tabela"], counts["linhas"])),
            "moved": {"consultas": moved_c, "exames": moved_e, "internacoes": moved_i, "pacientes": upd_p},
            "marked": marked}


def assert_database_matches(report, before: dict, after: dict) -> None:
    """Inserts = new rows per table; updates = rows that moved (pacientes: stream_state); events = stream_state."""
    for table, ops in report.counts.items():
        assert after["rows"][table] - before["rows"][table] == ops["INSERT"], table
        assert after["moved"][table] - before["moved"][table] == ops["UPDATE"], table
    assert after["marked"] - before["marked"] == report.events
    for table in ("medicos", "convenios", "pacientes_convenios"):
        assert after["rows"][table] == before["rows"][table], "the stream never writes " + table


def incoherent_rows(params, pg) -> int:
    s = params.oltp.schema
    with pg.connect() as conn, conn.cursor() as cur:
        cur.execute(f"""SELECT
            (SELECT count(*) FROM {s}.consultas c JOIN {s}.pacientes p ON p.id = c.paciente_id
             WHERE c.data_consulta < p.data_cadastro)
          + (SELECT count(*) FROM {s}.exames e JOIN {s}.pacientes p ON p.id = e.paciente_id
             WHERE e.data_exame < p.data_cadastro)
          + (SELECT count(*) FROM {s}.internacoes i JOIN {s}.pacientes p ON p.id = i.paciente_id
             WHERE i.data_entrada < p.data_cadastro)
          + (SELECT count(*) FROM {s}.consultas
             WHERE status IN ('realizada', 'faltou') AND data_consulta > updated_at)""")
        return cur.fetchone()[0]
