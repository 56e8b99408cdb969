"""The registry of OLTP tables: each table once, and every list of tables (the schema's, the stream's, the
publication's, REPLICA IDENTITY, table_counts(), sync_sequences(), the stream_state counters, the Debezium
topics) derives from it. A table's DDL lives in sql/oltp/01_schema.sql; what the stream writes into it in
hospsim.oltp.generate and sql/oltp/05_stream.sql.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OltpTable:
    """One table: `singular` names a row in the stream's log; `streamed` tables get INSERTs and UPDATEs from
    the stream (in the order of its mix weights, oltp.stream.inserts/updates.<name>); `seed_key` is its
    oltp.seed.<key> count (at least `seed_min`; set by SEED_<KEY> too), whose default is in params/default.yaml;
    `refers_to` the tables its foreign keys point at (they come before it, and must be seeded for it to be)."""
    name: str
    singular: str
    streamed: bool = False
    seed_key: str | None = None
    seed_min: int = 0
    refers_to: tuple[str, ...] = ()

    @property
    def seed_env(self) -> str:
        return f"SEED_{self.seed_key.upper()}"


REGISTRY: tuple[OltpTable, ...] = (
    OltpTable("pacientes", "paciente", streamed=True, seed_key="pacientes"),
    OltpTable("medicos", "medico", seed_key="medicos", seed_min=1),
    OltpTable("convenios", "convenio", seed_key="convenios", seed_min=1),
    OltpTable("pacientes_convenios", "paciente_convenio", seed_key="pacientes_convenios",
              refers_to=("pacientes", "convenios")),
    OltpTable("consultas", "consulta", streamed=True, seed_key="consultas", refers_to=("pacientes", "medicos")),
    OltpTable("exames", "exame", streamed=True, seed_key="exames", refers_to=("pacientes",)),
    OltpTable("internacoes", "internacao", streamed=True, seed_key="internacoes", refers_to=("pacientes",)),
)
"""In dependency order: a table comes after the tables it refers to (the seed COPYs in this order)."""

NAMES: tuple[str, ...] = tuple(t.name for t in REGISTRY)
STREAMED: tuple[str, ...] = tuple(t.name for t in REGISTRY if t.streamed)
SINGULAR: dict[str, str] = {t.name: t.singular for t in REGISTRY}
BY_NAME: dict[str, OltpTable] = {t.name: t for t in REGISTRY}
OPS: tuple[str, ...] = ("INSERT", "UPDATE")
"""What the stream does to a streamed table (never DELETE)."""


def counter(table: str, op: str) -> str:
    """The key of a stream_state.counts counter, e.g. "pacientes.INSERT"."""
    return f"{table}.{op}"


COUNTERS: tuple[str, ...] = tuple(counter(t, op) for t in STREAMED for op in OPS)
"""stream_state.counts' keys, in the stream's order (table by table, INSERT then UPDATE)."""
