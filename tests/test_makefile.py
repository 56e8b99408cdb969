"""The Makefile: every target uses the one params selection, PARAMS, and hands it to notebooks as HOSPSIM_PARAMS."""
from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest
import yaml

from tests.conftest import PROJECT_ROOT, free_port

TARGETS_WITHOUT_PARAMS = {"help", "install", "dev", "test", "test-faults", "wheel-check", "bench", "lint", "fmt", "clean",
                          "lab"}
"""Targets that run no hospsim command (lab gets the params through HOSPSIM_PARAMS)."""


def _make(*args: str, **env: str) -> subprocess.CompletedProcess:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    return subprocess.run(["make", "-s", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300,
                          check=False, env={**os.environ, **env})


def test_every_hospsim_target_passes_params():
    text = (PROJECT_ROOT / "Makefile").read_text()
    for target, recipe in re.findall(r"^([a-z-]+):[^\n]*\n((?:\t[^\n]*\n)+)", text, flags=re.MULTILINE):
        commands = [line for line in recipe.splitlines() if "$(HOSPSIM)" in line]
        if target in TARGETS_WITHOUT_PARAMS:
            continue
        assert commands, f"make {target} runs no hospsim command"
        assert all("-f $(PARAMS)" in line for line in commands), f"make {target} ignores PARAMS"
    assert "export HOSPSIM_PARAMS := $(PARAMS)" in text


def test_make_status_shows_the_ports_of_the_params_it_is_given(tmp_path):
    ports = {"postgres": free_port(), "kafka": free_port(), "connect": free_port()}
    mine = tmp_path / "x.yaml"
    mine.write_text(yaml.safe_dump({
        "extends": "workshop.yaml", "paths": {"state_dir": str(tmp_path / "state")},
        "postgres": {"port": ports["postgres"]},
        "kafka": {"broker_port": ports["kafka"], "controller_port": free_port(), "connect_port": ports["connect"]}}))
    done = _make("status", f"PARAMS={mine}")
    assert done.returncode == 0, done.stderr
    for service, port in ports.items():
        assert re.search(rf"^{service}\s.*address=127\.0\.0\.1:{port}\b", done.stdout, flags=re.MULTILINE), done.stdout


def test_make_passes_params_to_what_it_starts_as_hospsim_params():
    probe = _make("--eval", "probe: ; @echo $$HOSPSIM_PARAMS", "probe", "PARAMS=params/large.yaml")
    assert probe.stdout.strip() == "params/large.yaml"
