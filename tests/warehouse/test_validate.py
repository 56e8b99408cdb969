"""Header and shape checks before COPY: each bad shape gets a reason that names the problem."""
from __future__ import annotations

import io

import pytest

from hospsim.warehouse import filekinds
from hospsim.warehouse.validate import Rejected, header_columns

CENSUS = filekinds.BY_KIND["census"]
TRANSFERS = filekinds.BY_KIND["transfers"]
HEADER = ",".join(c.name for c in filekinds.CENSUS)


def check(body: bytes, kind=CENSUS):
    return header_columns(io.BytesIO(body), len(body), kind, kind.columns)[0]


def test_a_good_header_in_any_order():
    names = [c.name for c in filekinds.CENSUS]
    assert check(f"{HEADER}\n2025-01-01,H01,icu,1,1,0,0,0,0,0,0\n".encode()) == names
    shuffled = names[::-1]
    assert check((",".join(shuffled) + "\n1\n").encode()) == shuffled
    assert check((",".join(c.name for c in filekinds.TRANSFERS) + "\r\n").encode(), TRANSFERS)  # header-only ok


@pytest.mark.parametrize("body, message", [
    (b"", "empty file"),
    (HEADER.encode() + b"\n2025-01-01,H01", "truncated"),
    (HEADER.encode() + b"\n", "no rows"),
    (HEADER.replace(",", ";").encode() + b"\n1\n", "must be comma-separated"),
    (HEADER.replace("occupied", "ocupied").encode() + b"\n1\n", "unexpected 'ocupied' (renamed from 'occupied'?)"),
    (HEADER.replace(",boarding", "").encode() + b"\n1\n", "missing 'boarding'"),
    (HEADER.encode() + b",notes\n1\n", "unexpected 'notes'"),
    (HEADER.encode() + b",beds\n1\n", "duplicated 'beds'"),
    (b"\xff\xfe" + HEADER.encode() + b"\n1\n", "not UTF-8"),
    (b"x" * (70 * 1024) + b"\n", "no header line"),
])
def test_bad_shapes_are_rejected_with_a_reason(body, message):
    with pytest.raises(Rejected, match=message.replace("(", r"\(").replace(")", r"\)").replace("?", r"\?")):
        check(body)
