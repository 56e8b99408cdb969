"""The stream's JSON-lines files: data/stream/<topic>/<date>/p<partition>-<first offset of the range>.jsonl.

A file holds one range of `stream.file_events` offsets of one partition (split by simulated date), so its
name does not depend on how polls happened to batch the records: a replay after a crash rewrites the same
file with the same lines, and the in-process path writes the very same files. One file per event would cost
a create and a rename per event (a few thousand a second at best); a file per range costs one per range,
plus a rewrite of the open range every `commit_interval_s`. A restart in the middle of a range reads the
range's files back before it appends (deduplicated by event id). Rejected messages get a file each under
_rejected/.
"""
from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from pathlib import Path

from hospsim import sinks
from hospsim.stream.records import Rejected, TopicPartition

REJECTED_DIR = "_rejected"


def stream_dir(params) -> Path:
    return params.dirs.data_dir / "stream"


def file_name(partition: int, start: int) -> str:
    return f"p{partition:03d}-{start:012d}.jsonl"


class _Range:
    """The open offset range of one partition: date -> event id -> line, in offset order; `changed` holds
    the dates whose file is behind (a time-ordered stream mostly appends to one date at a time)."""
    __slots__ = ("changed", "lines", "start", "unwritten_from")

    def __init__(self, start: int):
        self.start = start
        self.lines: dict[str, dict[str, bytes]] = {}
        self.changed: set[str] = set()
        self.unwritten_from: int | None = None

    @property
    def dirty(self) -> bool:
        return bool(self.changed)


class RangeFiles:
    """The open range of each partition and its files; `unwritten_from` says how far a partition is on disk."""

    def __init__(self, root: Path, range_size: int):
        self.root = root
        self.range_size = range_size
        self._open: dict[TopicPartition, _Range] = {}

    def add(self, buckets: dict, first_in_range: dict) -> int:
        """Lines of one batch, by (partition, range start) -> date -> event id; a range a later one follows
        is complete and written at once, the open one waits for `write`. Returns the files written."""
        written = 0
        for (tp, start), dates in buckets.items():
            current = self._open.get(tp)
            if current is None or current.start != start:
                if current is not None and current.dirty:
                    written += self._write(tp, current)     # a later range began: this one is complete
                current = _Range(start)
                if first_in_range[(tp, start)] > start:
                    self._load(tp, current)        # resuming in the middle of a range
                self._open[tp] = current
            if not any(dates.values()):
                continue
            if not current.dirty:
                current.unwritten_from = first_in_range[(tp, start)]
            for date, lines in dates.items():
                if lines:
                    current.lines.setdefault(date, {}).update(lines)
                    current.changed.add(date)
        return written

    def write(self, partitions: Iterable[TopicPartition] | None = None) -> int:
        """Write the open ranges that are behind (partial files); returns the files written."""
        ranges = [(tp, self._open.get(tp)) for tp in list(self._open if partitions is None else partitions)]
        return sum(self._write(tp, rng) for tp, rng in ranges if rng is not None and rng.dirty)

    def unwritten_from(self, tp: TopicPartition) -> int | None:
        """The first offset of the partition whose line is not on disk yet; None when all are."""
        rng = self._open.get(tp)
        return rng.unwritten_from if rng is not None and rng.dirty else None

    def forget(self, partitions: Iterable[TopicPartition] | None = None) -> None:
        """Drop open ranges without writing them (all of them for None)."""
        if partitions is None:
            self._open.clear()
        for tp in partitions or ():
            self._open.pop(tp, None)

    def reject(self, item: Rejected) -> None:
        """A rejected message's file: the reason, where it came from, and the message as it was."""
        r = item.record
        body = {"reason": item.reason, "topic": r.topic, "partition": r.partition, "offset": r.offset,
                "timestamp": r.timestamp, "key": _text(r.key)}
        try:
            body["value"] = r.value.decode("utf-8") if r.value is not None else None
        except UnicodeDecodeError:
            body["value_base64"] = base64.b64encode(r.value).decode()
        target = self.root / REJECTED_DIR / r.topic / f"p{r.partition:03d}-{r.offset:012d}.json"
        sinks.write_text(json.dumps(body, ensure_ascii=False, indent=1) + "\n", target)

    def _path(self, tp: TopicPartition, date: str, start: int) -> Path:
        return self.root / tp[0] / date / file_name(tp[1], start)

    def _write(self, tp: TopicPartition, rng: _Range) -> int:
        dates = sorted(rng.changed)
        for date in dates:
            with sinks.atomic_path(self._path(tp, date, rng.start)) as tmp:
                tmp.write_bytes(b"\n".join(rng.lines[date].values()) + b"\n")
        rng.changed.clear()
        rng.unwritten_from = None
        return len(dates)

    def _load(self, tp: TopicPartition, rng: _Range) -> None:
        folder = self.root / tp[0]
        for path in sorted(folder.glob(f"*/{file_name(tp[1], rng.start)}")):
            lines = rng.lines.setdefault(path.parent.name, {})
            for line in path.read_bytes().splitlines():
                if line:
                    lines[json.loads(line)["event_id"]] = line


def _text(value: bytes | None) -> str | None:
    if value is None:
        return None
    return value.decode("utf-8", errors="replace")
