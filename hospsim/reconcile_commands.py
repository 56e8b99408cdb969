"""`hospsim reconcile`: batch, stream and CDC counted against each other; non-zero exit while they differ."""
from __future__ import annotations

import argparse
import datetime as dt
import json

from hospsim.commandline import params_from

DIFFERENCES_EXIT = 3
"""The exit code while differences remain (1 and 2 are hospsim's errors)."""


def register(sub, parent) -> None:
    p = sub.add_parser("reconcile", parents=[parent], help="count admissions, discharges and census three ways",
                       description="For each day and hospital, count admissions, discharges and the midnight "
                                   "census from the warehouse (batch files), the stream tables (Kafka events) and "
                                   "the internacoes changes Debezium captured; list every difference with its "
                                   "admission id and a likely cause (a file not yet ingested, consumer lag, a lost "
                                   f"event, a connector behind). Exit {DIFFERENCES_EXIT} while differences remain.")
    p.add_argument("--until", type=_date, metavar="YYYY-MM-DD",
                   help="compare the days up to this one (default: the last day any source knows)")
    p.add_argument("--sources", type=_sources, metavar="A,B",
                   help="compare only these of warehouse,stream,cdc (default: all three)")
    p.add_argument("--json", action="store_true", help="print counts and differences as JSON")
    p.set_defaults(func=_reconcile)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date: give YYYY-MM-DD") from None


def _sources(text: str) -> tuple[str, ...]:
    from hospsim.reconcile import SOURCES
    chosen = tuple(s.strip() for s in text.split(",") if s.strip())
    unknown = [s for s in chosen if s not in SOURCES]
    if unknown or len(chosen) < 2:
        raise argparse.ArgumentTypeError(f"{text!r}: name two or more of {','.join(SOURCES)}")
    return chosen


def _reconcile(args) -> int:
    from hospsim import reconcile
    from hospsim.services import ensure_postgres

    params = params_from(args)
    result = reconcile.run(params, ensure_postgres(params), args.sources or reconcile.SOURCES, until=args.until)
    if args.json:
        print(json.dumps(result.to_json(), default=str, ensure_ascii=False))
        return 0 if result.ok else DIFFERENCES_EXIT
    print_text(result)
    return 0 if result.ok else DIFFERENCES_EXIT


def print_text(result) -> None:
    """The summary line, notes, then the counts that disagree and each difference."""
    import pandas as pd
    s = result.summary()
    print(f"{s['first_day']} .. {s['last_day']}, {' / '.join(result.sources)}: {s['groups']} day x hospital x "
          f"measure counts, {s['groups_disagreeing']} disagree, {s['differences']} difference(s)")
    for note in result.notes:
        print(f"note: {note}")
    if result.ok:
        return
    with pd.option_context("display.width", 250, "display.max_columns", 20, "display.max_colwidth", 110,
                           "display.max_rows", 500):
        print("\ncounts that disagree:")
        print(result.counts[~result.counts["agree"]].drop(columns="agree").to_string(index=False))
        print("\ndifferences:")
        print(result.differences.drop(columns="record").to_string(index=False))
