"""The `hospsim` command: hospsim's own errors are one line and an exit code; anything else is a bug."""
from __future__ import annotations

import pytest

from hospsim import cli, config
from hospsim.errors import ConfigError, HospsimError, OltpError


def _failing(exc: BaseException):
    def func(args):
        raise exc
    return func


@pytest.mark.parametrize(("exc", "code"), [(OltpError("the OLTP schema is not there; run hospsim oltp init"), 1),
                                           (ConfigError(["seed = -1: give an integer >= 0"]), 2)])
def test_a_hospsim_error_is_one_line_and_its_exit_code(monkeypatch, capsys, exc, code):
    monkeypatch.setattr(cli, "_config_show", _failing(exc))
    assert cli.main(["config"]) == code
    err = capsys.readouterr().err
    assert err.startswith("hospsim: ") and str(exc) in err and "Traceback" not in err


def test_any_other_error_keeps_its_traceback(monkeypatch):
    monkeypatch.setattr(cli, "_config_show", _failing(ValueError("a bug, not a user's mistake")))
    with pytest.raises(ValueError, match="a bug"):
        cli.main(["config"])


def test_bad_params_name_the_key(capsys):
    assert cli.main(["config", "-p", "simulation.days=-3"]) == 2
    assert "simulation.days" in capsys.readouterr().err


def test_the_old_builtin_bases_still_catch():
    """Code that caught ValueError around a config load still does."""
    assert issubclass(config.ConfigError, ValueError) and issubclass(config.ConfigError, HospsimError)
