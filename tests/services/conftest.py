"""The shared fixtures (PostgreSQL, Kafka, Kafka Connect) live in tests/conftest.py."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest


@pytest.fixture
def server_state() -> Path:
    """A state dir for a server of the test's own, outside pytest's tmp tree: a concurrent pytest session
    re-chmods /tmp/pytest-of-<user> to 0700 and prunes old sessions, which would lock the unprivileged server
    user out of its data directory."""
    state = Path(tempfile.mkdtemp(prefix="hospsim-test-state-"))
    yield state
    shutil.rmtree(state, ignore_errors=True)
