"""`hospsim reconcile`'s flags: bad ones are refused with the fix, before anything is read."""
from __future__ import annotations

import datetime as dt

import pytest

from hospsim.cli import build_parser


def parse(*args: str):
    return build_parser().parse_args(["reconcile", *args])


def test_the_flags_parse_to_a_date_and_sources():
    args = parse("--until", "2025-02-12", "--sources", "warehouse, stream", "--json")
    assert args.until == dt.date(2025, 2, 12) and args.sources == ("warehouse", "stream") and args.json
    assert parse().sources is None and parse().until is None


@pytest.mark.parametrize("flags, words", [
    (["--until", "12/02/2025"], "is not a date: give YYYY-MM-DD"),
    (["--sources", "warehouse,kafka"], "name two or more of warehouse,stream,cdc"),
    (["--sources", "cdc"], "name two or more of warehouse,stream,cdc"),
])
def test_bad_flags_name_the_fix(capsys, flags, words):
    with pytest.raises(SystemExit) as exit_info:
        parse(*flags)
    assert exit_info.value.code == 2 and words in capsys.readouterr().err
