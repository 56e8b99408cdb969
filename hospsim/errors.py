"""hospsim's own failures, one tree with one root.

The CLI prints a HospsimError as one line (its message names the problem and the fix) and lets every other
exception keep its traceback: that one is a bug. Each stage has its class; a class also derives from the
built-in it replaced (ValueError, FileNotFoundError, RuntimeError), so code that caught those still works.
"""
from __future__ import annotations


class HospsimError(Exception):
    """Something the user can fix: a param, a flag, a file, a service that is not there."""

    exit_code = 1


class ConfigError(HospsimError, ValueError):
    """Bad parameters: every problem found, each naming the key, the value and what is allowed."""

    exit_code = 2

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid hospsim parameters:\n  - " + "\n  - ".join(problems))


class SimulationError(HospsimError, ValueError):
    """Inputs the simulation stages cannot work from (population, workforce, day, identities, events)."""


class RunError(HospsimError):
    """A run folder that does not hold what a step needs."""


class ServiceError(HospsimError, RuntimeError):
    """A service hospsim starts or reaches (PostgreSQL, Kafka, Connect) did not do what was asked."""


class StreamError(HospsimError):
    """Producing or processing the event stream."""


class LiveError(HospsimError):
    """The living clock (`hospsim live`): its flags, its checkpoint, a sink that cannot resume."""


class WarehouseError(HospsimError):
    """Loading batch files into the warehouse."""


class OltpError(HospsimError, ValueError):
    """The OLTP database or the change data capture read from it."""


class ReconcileError(HospsimError):
    """Counting batch, stream and CDC against each other: a source it must read is not there."""


class PipelineError(HospsimError, RuntimeError):
    """Running the course notebooks."""
