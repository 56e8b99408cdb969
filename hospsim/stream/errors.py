"""The stream's own errors, in a module of their own so producer, processor and consumer loop share them."""
from __future__ import annotations

from hospsim.errors import StreamError


class DeliveryError(StreamError, RuntimeError):
    """Messages that Kafka did not accept in time; none is dropped silently."""

    def __init__(self, message: str, undelivered: list | None = None):
        super().__init__(message)
        self.undelivered = list(undelivered or [])   # ids (event ids or topic-partition@offset) not delivered
