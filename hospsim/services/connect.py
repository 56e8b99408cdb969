"""A small Kafka Connect REST client (stdlib only): register, delete, status, wait until RUNNING.

Works against the embedded standalone worker (hospsim.services.kafka.ConnectWorker) and any
distributed cluster alike, since both speak the same REST API.
"""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request

from hospsim.errors import ServiceError


def _message(body: str) -> str:
    try:
        return json.loads(body).get("message", body)
    except (ValueError, AttributeError):
        return body


class ConnectClient:
    """REST calls to one Connect worker; every failure is a ServiceError naming the URL and the reply."""

    def __init__(self, url: str = "http://127.0.0.1:18083", timeout: float = 15.0):
        self.url = url.rstrip("/")
        self.timeout = timeout

    def _call(self, method: str, path: str, body: dict | None = None, *, missing_ok: bool = False):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(f"{self.url}{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json", "Accept": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            if missing_ok and exc.code == 404:
                return None
            detail = _message(exc.read().decode(errors="replace"))
            raise ServiceError(f"Kafka Connect {method} {self.url}{path} answered {exc.code}: {detail}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise ServiceError(f"Kafka Connect at {self.url} is not reachable ({method} {path}): {exc}; "
                               "start it with `python -m hospsim.services.kafka up` or check CONNECT_URL") from None
        return json.loads(raw) if raw else None

    @staticmethod
    def _name(name: str) -> str:
        return urllib.parse.quote(name, safe="")

    def plugins(self) -> list[str]:
        return [p["class"] for p in self._call("GET", "/connector-plugins")]

    def connectors(self) -> list[str]:
        return self._call("GET", "/connectors")

    def register(self, name: str, config: dict) -> dict:
        """Create or update the connector (PUT .../config is idempotent, unlike POST /connectors)."""
        body = {k: str(v) for k, v in config.items()}
        body.setdefault("name", name)
        return self._call("PUT", f"/connectors/{self._name(name)}/config", body)

    def delete(self, name: str) -> bool:
        """Remove the connector; False when it did not exist."""
        if self.status(name) is None:
            return False
        self._call("DELETE", f"/connectors/{self._name(name)}", missing_ok=True)
        return True

    def status(self, name: str) -> dict | None:
        """{'connector': {'state': ...}, 'tasks': [{'id': 0, 'state': ...}, ...]}, or None if unknown."""
        return self._call("GET", f"/connectors/{self._name(name)}/status", missing_ok=True)

    def wait_running(self, name: str, timeout: float = 60.0, tasks: int = 1) -> dict:
        """Wait until the connector and at least `tasks` tasks are RUNNING; a FAILED one raises with its trace."""
        deadline = time.monotonic() + timeout
        last: dict | None = None
        while True:
            last = self.status(name)
            if last is not None:
                states = [last["connector"]["state"], *(t["state"] for t in last.get("tasks", []))]
                failed = [t for t in [last["connector"], *last.get("tasks", [])] if t.get("state") == "FAILED"]
                if failed:
                    trace = failed[0].get("trace", "").strip().splitlines()
                    raise ServiceError(f"connector {name} FAILED: " + "\n".join(trace[:25]))
                if states[0] == "RUNNING" and states[1:].count("RUNNING") >= tasks:
                    return last
            if time.monotonic() > deadline:
                raise ServiceError(f"connector {name} not RUNNING after {timeout:.0f}s; last status: {last}")
            time.sleep(0.5)
