"""PostgreSQL restarted under a running stream (a server of its own, not the shared one): the stream
reconnects, nothing committed is lost and nothing is applied twice; a server that stays down ends it clearly."""
from __future__ import annotations

import dataclasses
import logging
import socket
import threading
import time

import pytest

from hospsim.errors import ServiceError
from hospsim.oltp import seed, stream
from tests.conftest import own_embedded_postgres, small_params
from tests.oltp.helpers import assert_database_matches, incoherent_rows, snapshot


@pytest.fixture
def server():
    yield from own_embedded_postgres("hospsim-restart-", "embedded PostgreSQL for the restart test")


class _Later(threading.Thread):
    """Run actions after a delay in another thread; join() re-raises what they raised."""

    def __init__(self, delay: float, *actions) -> None:
        super().__init__(daemon=True)
        self.delay, self.actions, self.error = delay, actions, None
        self.start()

    def run(self) -> None:
        time.sleep(self.delay)
        try:
            for action in self.actions:
                action()
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            self.error = exc

    def join(self, timeout=None) -> None:
        super().join(timeout)
        if self.error is not None:
            raise self.error


def test_stream_survives_a_restart_and_counts_only_committed_work(server, tmp_path):
    params = small_params(tmp_path, server.info, {"oltp.stream.events_per_second": 1500,
                                                  "oltp.stream.duration_seconds": 4,
                                                  "oltp.stream.batch_size": 25,
                                                  "oltp.stream.retry_timeout_seconds": 30})
    seed.reset(params, server.info)
    before = snapshot(params, server.info)
    restarted = _Later(1.0, server.stop, lambda: time.sleep(1.0), server.start)
    report = stream.run(params, server.info, handle_signals=False)
    restarted.join()
    after = snapshot(params, server.info)
    assert report.reconnects >= 1, report.summary()
    assert report.events > 500, report.summary()
    assert_database_matches(report, before, after)
    assert incoherent_rows(params, server.info) == 0

    # down for good: a clear error, and still every committed event counted
    params = small_params(tmp_path, server.info, {"oltp.stream.events_per_second": 1000,
                                                  "oltp.stream.retry_timeout_seconds": 1.5})
    before = after
    s = stream.Stream(params, server.info)
    stopper = _Later(0.7, server.stop)
    with pytest.raises(ServiceError, match="stayed unreachable for 1.5 s.*hospsim services up postgres"):
        s.run(handle_signals=False)
    stopper.join()
    server.start()
    assert s.report.events > 0
    assert_database_matches(s.report, before, snapshot(params, server.info))


class DropReplyProxy:
    """A TCP relay to PostgreSQL that lets the n-th stream batch through, then cuts the connection as the
    server's reply comes back: the batch has committed but the client never hears so."""

    def __init__(self, port: int, drop_batch: int) -> None:
        self.target = ("127.0.0.1", port)
        self.drop_batch = drop_batch
        self.seen = 0
        self.dropped = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            state = {"drop": False}
            threading.Thread(target=self._pump, args=(client, server, state, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, state, False), daemon=True).start()

    def _pump(self, src, dst, state, upstream: bool) -> None:
        try:
            while data := src.recv(65536):
                if upstream and b"SELECT tbl, op, ids FROM" in data:  # the batch call, not the lookups
                    self.seen += 1
                    state["drop"] = self.seen == self.drop_batch
                elif not upstream and state["drop"]:
                    self.dropped.set()
                    break  # the reply (and its commit) is lost on the way back
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def close(self) -> None:
        self.listener.close()


def test_a_batch_whose_commit_reply_is_lost_counts_once(fresh, pg, caplog):
    params = fresh({"oltp.stream.interval_seconds": 0, "oltp.stream.max_jitter_ms": 0,
                    "oltp.stream.max_events": 500, "oltp.stream.batch_size": 50})
    before = snapshot(params, pg)
    proxy = DropReplyProxy(pg.port, drop_batch=4)
    try:
        via_proxy = dataclasses.replace(pg, port=proxy.port)
        with caplog.at_level(logging.WARNING, logger="hospsim.oltp.stream"):
            report = stream.run(params, via_proxy, handle_signals=False)
    finally:
        proxy.close()
    assert proxy.dropped.is_set()
    assert report.reconnects == 1 and report.retried_batches == 0, report.summary()
    assert "batch 4 had committed before the connection dropped; not sent again" in caplog.text
    assert report.events == 500
    assert_database_matches(report, before, snapshot(params, pg))
