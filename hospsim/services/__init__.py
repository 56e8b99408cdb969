"""Services hospsim talks to: PostgreSQL (embedded or external), Kafka and Kafka Connect (embedded or external)."""
from __future__ import annotations

from hospsim.services.errors import ServiceError
from hospsim.services.postgres import PgInfo, embedded_from_params, ensure_postgres, info_from_params

NAMES = ("postgres",)

__all__ = ["NAMES", "PgInfo", "ServiceError", "down", "ensure_postgres", "info_from_params", "status", "up"]


def up(params, which=NAMES) -> list[dict]:
    rows = []
    if "postgres" in which:
        info = ensure_postgres(params)
        rows.append({"service": "postgres", "running": True, "kind": "embedded" if params.postgres.embedded
                     else "external", "address": f"{info.host}:{info.port}", "database": info.database})
    return rows


def down(params, which=NAMES) -> list[dict]:
    rows = []
    if "postgres" in which and params.postgres.embedded:
        server = embedded_from_params(params)
        server.stop()
        rows.append(server.status())
    return rows


def status(params, which=NAMES) -> list[dict]:
    rows = []
    if "postgres" in which:
        if params.postgres.embedded:
            rows.append(embedded_from_params(params).status())
        else:
            info = info_from_params(params.postgres)
            rows.append({"service": "postgres", "kind": "external", "running": _reachable(info),
                         "address": f"{info.host}:{info.port}"})
    return rows


def _reachable(info: PgInfo) -> bool:
    try:
        info.connect(connect_timeout=3).close()
        return True
    except Exception:
        return False
