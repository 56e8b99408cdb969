"""The dead-letter topic: rejected messages, unchanged, with the reason and their origin as headers.

Which rejects are sent, and only once, is the processor's ledger's business (stream.dead_letters); this
only delivers, in bounded time: a broker that does not take them within stream.delivery_timeout_ms (or a
stop) raises DeliveryError, the pending ones are aborted, and the ledger sends them again on the replay.
"""
from __future__ import annotations

import threading

from hospsim.stream import topics as topic_admin
from hospsim.stream.errors import DeliveryError

_MARGIN_S = 5.0


class DeadLetterProducer:
    """Sends rejected messages to <prefix>.dead-letter; a callable for Processor(dead_letter=...)."""

    def __init__(self, params, bootstrap: str, stop: threading.Event | None = None):
        self.topic = topic_admin.dead_letter(params)
        self.bootstrap = bootstrap
        self.params = params
        self.stop = stop
        self._producer = None

    def __call__(self, rejected: list) -> None:
        from hospsim.stream.producer import close_within, flush_within, make_producer
        if self._producer is None:
            self._producer = make_producer(self.params, self.bootstrap, client_id="hospsim-dead-letter")
        sent = []
        try:
            for item in rejected:
                r = item.record
                headers = [("hospsim.reason", item.reason.encode()), ("hospsim.topic", r.topic.encode()),
                           ("hospsim.partition", str(r.partition).encode()),
                           ("hospsim.offset", str(r.offset).encode())]
                sent.append((r, self._producer.send(self.topic, key=r.key, value=r.value if r.value is not None
                                                     else b"", headers=headers)))
        except Exception as exc:  # no buffer room or metadata: the broker is away
            self._abandon(close_within)
            raise DeliveryError(f"dead letters not sent to {self.topic}: {exc}") from exc
        timeout = self.params.stream.delivery_timeout_ms / 1000 + _MARGIN_S
        if not flush_within(self._producer, timeout, self.stop, grace_s=1.0):
            self._abandon(close_within)
            raise DeliveryError(f"{len(sent)} dead letter(s) not delivered to {self.topic} in time; they are sent "
                                "again when their batch is read again")
        failed = [(r, f.exception) for r, f in sent if f.failed()]
        if failed:
            r, exc = failed[0]
            raise DeliveryError(f"{len(failed)} dead letter(s) not delivered to {self.topic}, e.g. "
                                f"{r.topic}-{r.partition}@{r.offset}: {exc}",
                                undelivered=[f"{r.topic}-{r.partition}@{r.offset}" for r, _ in failed])

    def _abandon(self, close_within) -> None:
        """Abort what is pending (a late delivery would duplicate the resend) and start afresh next time."""
        producer, self._producer = self._producer, None
        if producer is not None:
            close_within(producer, 1.0)

    def close(self) -> None:
        if self._producer is not None:
            from hospsim.stream.producer import close_within
            close_within(self._producer, 10.0)
            self._producer = None
