"""Header and shape checks before COPY: each bad shape gets a reason that names the problem."""
from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hospsim import filekinds
from hospsim.warehouse.validate import BOM, FileRejected, binary_content, header_columns

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
    with pytest.raises(FileRejected, match=message.replace("(", r"\(").replace(")", r"\)").replace("?", r"\?")):
        check(body)


# --------------------------------------------------------------------------- properties (Hypothesis)


NAMES = [c.name for c in filekinds.CENSUS]
CELL = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\0\r\n,\""), max_size=12)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600), st.sampled_from(filekinds.KINDS))
def test_any_bytes_are_either_a_header_or_rejected_with_a_reason(body, kind):
    expected = kind.columns if not callable(kind.columns) else filekinds.PEOPLE
    try:
        names, start = header_columns(io.BytesIO(body), len(body), kind, expected)
    except FileRejected as exc:
        assert str(exc)
    else:
        assert sorted(names) == sorted(c.name for c in expected) and start in (0, len(BOM))


@settings(max_examples=200, deadline=None)
@given(st.permutations(NAMES), st.lists(st.lists(CELL, min_size=len(NAMES), max_size=len(NAMES)), min_size=1,
                                        max_size=4), st.booleans(), st.sampled_from(["\n", "\r\n"]))
def test_a_header_of_the_kinds_columns_in_any_order_is_taken_with_or_without_a_bom(order, rows, bom, end):
    text = end.join(",".join(r) for r in [order, *rows]) + end
    body = (BOM if bom else b"") + text.encode("utf-8")
    names, start = header_columns(io.BytesIO(body), len(body), CENSUS, filekinds.CENSUS)
    assert names == order and start == (len(BOM) if bom else 0)


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"), max_size=200),
       st.integers(0, 200), st.sampled_from([b"\0", b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\x80"]))
def test_binary_content_is_found_where_it_is(text, at, bad):
    good = text.encode("utf-8")
    assert binary_content(good) == ""
    assert binary_content(good + "é€".encode()[:4]) == "", "a character cut by the probe's end is fine"
    cut = len(good[:at].decode("utf-8", errors="ignore").encode("utf-8"))     # on a character boundary
    broken = good[:cut] + bad + good[cut:]
    problem = binary_content(broken, offset=3)
    assert problem and f"at byte {3 + cut}" in problem


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_any_name_is_a_kind_or_unknown_with_a_reason(name):
    try:
        match = filekinds.classify(name)
    except filekinds.UnknownFile as exc:
        assert str(exc).startswith(f"{name}: ")
    else:
        assert match.kind.regex.fullmatch(name)
