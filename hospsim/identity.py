"""Fake identities for whole populations at once: names, phones, addresses and national ids.

Faker's locale word lists are the vocabulary; numpy does the sampling. One Faker call per person
manages ~19k persons/s; indexing small arrays of precomputed strings manages millions, which is what a
1M-person region needs. Every function takes a numpy Generator (see hospsim.rng), so the same seed gives
the same people. Text comes back as numpy object arrays of Python str: the cheapest form for a pandas
column (pandas takes them as its str dtype without copying each string).

    rng = hospsim.rng.generator(params.seed, "staff")
    names = identity.person_names(rng, np.array(["F", "M"]), "pt_BR")   # ['Ana Souza Lima', 'João Rocha Dias']
    phone = identity.phones(rng, 2, "pt_BR")                             # ['+55 11 91234-5678', ...]
    addr = identity.addresses(rng, 2, "pt_BR")                           # .street_address .neighborhood .postcode
    line = addr.one_line()                                               # 'Rua Souza, 12 - Centro, 01234-567'
    ids = identity.national_ids(np.arange(2) + documents.NAMESPACE["staff"], params.seed, "pt_BR")
"""
from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from hospsim import locales
from hospsim.errors import SimulationError
from hospsim.formats import code_points, place, to_str

LOCALES = locales.LOCALES

_MAX_PRECOMPUTED_PAIRS = 60_000   # first x last combinations worth building once per locale
_TABLE_SIZE = 1 << 16             # resolution of weighted sampling tables
_VOCABULARY_SEED = 20_250_101     # fixes which CEP and bairro each street has, the same in every run


def sampling_table(p, size: int = _TABLE_SIZE) -> np.ndarray:
    """Indexes repeated in proportion to weights p: table[rng.integers(len(table))] draws from p.

    30x faster than rng.choice(p=...) on a million draws; weights are rounded to 1/size
    (largest remainders), and every positive weight keeps at least one slot.
    """
    p = np.asarray(p, dtype=float)
    size = max(size, 4 * int((p > 0).sum()))
    exact = p / p.sum() * size
    counts = np.floor(exact).astype(np.int64)
    counts[(p > 0) & (counts == 0)] = 1
    short = size - counts.sum()
    if short > 0:
        counts[np.argsort(-(exact - counts), kind="stable")[:short]] += 1
    elif short < 0:
        counts[np.argsort(-counts, kind="stable")[:-short]] -= 1
    return np.repeat(np.arange(p.size, dtype=np.int32), counts)


def draw(rng: np.random.Generator, table_or_k, n: int) -> np.ndarray:
    """n draws: uniform over range(k) for an int k, else from a sampling_table."""
    if isinstance(table_or_k, (int, np.integer)):
        return rng.integers(0, table_or_k, size=n)
    return table_or_k[rng.integers(0, table_or_k.size, size=n)]


@dataclass(frozen=True)
class _Words:
    first: dict[str, np.ndarray]       # 'F' / 'M' -> first names
    first_t: dict[str, np.ndarray]     # their sampling tables (en_US lists carry frequencies)
    last: np.ndarray
    last_t: np.ndarray
    streets: np.ndarray                # 'Rua Souza' / 'Oak Street'
    streets_t: np.ndarray
    street_hood: np.ndarray            # each street's neighbourhood ('' where the locale has none)
    street_postcode: np.ndarray        # each street's postcode (a CEP covers a street in Brazil)
    numbers: np.ndarray                # building numbers as text, joined to the street the locale's way
    numbers_t: np.ndarray              # small numbers are commoner
    area_codes: np.ndarray             # phone area codes (DDD) filling a format's first digits; none in en_US
    phone_formats: tuple[str, ...]


class Addresses(NamedTuple):
    """Parallel object arrays of str, one element per address."""
    street_address: np.ndarray   # 'Rua Souza, 123' (pt_BR) / '1234 Oak Street' (en_US)
    neighborhood: np.ndarray     # a bairro (pt_BR) / '' (en_US)
    postcode: np.ndarray         # '01234-567' (pt_BR) / '12345' (en_US)
    street: np.ndarray           # int index of the street in words(locale).streets
    locale: str = "pt_BR"
    state: str | None = None     # the UF whose CEP ranges the postcodes fall in (None: anywhere)

    def one_line(self) -> np.ndarray:
        """'Rua Souza, 123 - Centro, 01234-567' (pt_BR) / '1234 Oak Street, 12345' (en_US)."""
        return self.street_address + _street_tail(self.locale, self.state)[self.street]


def _provider(kind: str, locale: str):
    return importlib.import_module(f"faker.providers.{kind}.{locale}").Provider


def _weighted(values) -> tuple[np.ndarray, np.ndarray]:
    """Faker lists are tuples (uniform) or OrderedDicts of value -> frequency."""
    if isinstance(values, dict):
        return np.array(list(values), dtype=object), sampling_table(list(values.values()))
    unique = np.array(sorted(set(values)), dtype=object)
    return unique, sampling_table(np.ones(unique.size))


def _fill(rng: np.random.Generator, pattern: str, n: int) -> np.ndarray:
    """A pattern ('#' any digit, '%' 1-9, '$' 2-9) filled for n rows, as a (n, len) uint32 code-point matrix."""
    raw = np.array([ord(c) for c in pattern], dtype=np.uint32)
    mat = code_points(pattern, n)
    for char, low in (("#", 0), ("%", 1), ("$", 2)):
        slots = np.flatnonzero(raw == ord(char))
        if slots.size:
            place(mat, slots, rng.integers(ord("0") + low, ord("9") + 1, size=(n, slots.size), dtype=np.uint8))
    return mat


@functools.cache
def words(locale: str) -> _Words:
    """The locale's vocabulary, built once per process (same in every run, whatever the seed)."""
    profile = locales.profile(locale)
    person, address = _provider("person", profile.vocabulary), _provider("address", profile.vocabulary)
    first_f, tf = _weighted(person.first_names_female)
    first_m, tm = _weighted(person.first_names_male)
    last, tl = _weighted(person.last_names)
    vocab = np.random.default_rng(_VOCABULARY_SEED)
    streets, street_p = profile.streets(address, first_m, last)
    if profile.neighbourhoods:
        hoods = np.array(sorted(set(getattr(address, profile.neighbourhoods))), dtype=object)
        street_hood = hoods[vocab.integers(0, hoods.size, streets.size)]
    else:
        street_hood = np.full(streets.size, "", dtype=object)
    postcodes = to_str(_fill(vocab, profile.postcode, streets.size))
    numbers = np.arange(1, profile.highest_number + 1).astype(str).astype(object)
    numbers = profile.number_joint + numbers if profile.street_first else numbers + profile.number_joint
    number_p = 1.0 / np.sqrt(np.arange(1, numbers.size + 1))
    formats, area_codes = profile.phones(_provider("phone_number", profile.vocabulary))
    return _Words({"F": first_f, "M": first_m}, {"F": tf, "M": tm}, last, tl, streets, sampling_table(street_p),
                  street_hood, postcodes, numbers, sampling_table(number_p), area_codes, formats)


@functools.cache
def _firsts(locale: str) -> np.ndarray:
    """Female then male first names: one array, so one gather serves both sexes."""
    w = words(locale)
    return np.concatenate([w.first["F"], w.first["M"]])


@functools.cache
def _first_last_pairs(locale: str) -> np.ndarray | None:
    """'Maria Souza' for every first x last pair (female firsts, then male), when small enough to build once."""
    firsts, last = _firsts(locale), words(locale).last
    if firsts.size * last.size > _MAX_PRECOMPUTED_PAIRS:
        return None
    return (firsts[:, None] + " " + last[None, :]).ravel()


@functools.cache
def _spaced_last(locale: str) -> np.ndarray:
    return " " + words(locale).last


@functools.cache
def street_postcodes(locale: str, state: str | None = None) -> np.ndarray:
    """Each street's postcode; with a state (one of the locale's), a CEP inside that state's Correios ranges."""
    w = words(locale)
    known = locales.profile(locale).states
    if state is None or not known:
        return w.street_postcode
    if state not in known:
        raise SimulationError(f"state {state!r} is not one of {locale}'s: {', '.join(sorted(known))}")
    ranges = np.array(known[state].postcodes)
    vocab = np.random.default_rng([_VOCABULARY_SEED, sorted(known).index(state)])
    which = vocab.choice(len(ranges), size=w.streets.size, p=(ranges[:, 1] - ranges[:, 0] + 1) / (ranges[:, 1] - ranges[:, 0] + 1).sum())
    five = ranges[which, 0] + vocab.integers(0, ranges[which, 1] - ranges[which, 0] + 1)
    three = vocab.integers(0, 1000, size=w.streets.size)
    return np.char.add(np.char.add(np.char.zfill(five.astype(str), 5), "-"), np.char.zfill(three.astype(str), 3)).astype(object)


@functools.cache
def _street_tail(locale: str, state: str | None = None) -> np.ndarray:
    w = words(locale)
    with_hood = np.where(w.street_hood != "", " - " + w.street_hood, "")
    return with_hood + ", " + street_postcodes(locale, state)


def _female(sex) -> np.ndarray:
    """True for 'F', False for 'M' (a boolean array passes as is); anything else is an error."""
    s = np.asarray(sex)
    if s.dtype == bool:
        return s
    female, male = s == "F", s == "M"
    if not (female | male).all():
        raise SimulationError(f"sex must be 'F' or 'M'; found {str(s[~(female | male)][0])!r}")
    return female


def person_names(rng: np.random.Generator, sex, locale: str = "pt_BR", family=None) -> np.ndarray:
    """Full names matching each person's sex: 'Ana Souza Lima' (pt_BR), 'Mary Smith' (en_US).

    sex: 'F'/'M' per person, or a boolean array (True = female).

    family: optional non-negative int per person (a household id); people sharing one share their last
    surname, as Brazilian families share the father's.
    """
    female = _female(sex)
    w = words(locale)
    n = female.shape[0]
    if family is None:
        last = draw(rng, w.last_t, n)
    else:
        family = np.asarray(family, dtype=np.int64)
        last = draw(rng, w.last_t, int(family.max()) + 1 if n else 0)[family]
    first = np.where(female, draw(rng, w.first_t["F"], n), draw(rng, w.first_t["M"], n) + w.first["F"].size)
    pairs = _first_last_pairs(locale)
    if locales.profile(locale).surnames == 2:  # the mother's surname first, different from the family's: shift by 1..L-1
        mother = (last + 1 + rng.integers(0, w.last.size - 1, size=n)) % w.last.size
        if pairs is not None:
            return pairs[first * w.last.size + mother] + _spaced_last(locale)[last]
        return _firsts(locale)[first] + _spaced_last(locale)[mother] + _spaced_last(locale)[last]
    if pairs is not None:
        return pairs[first * w.last.size + last]
    return _firsts(locale)[first] + _spaced_last(locale)[last]


def numerify(rng: np.random.Generator, formats, n: int) -> np.ndarray:
    """Faker-style patterns filled in bulk, equally likely: '#' any digit, '%' 1-9, '$' 2-9."""
    formats = (formats,) if isinstance(formats, str) else tuple(formats)
    if len(formats) == 1:
        return to_str(_fill(rng, formats[0], n))
    pick = rng.integers(0, len(formats), size=n)
    order = np.argsort(pick, kind="stable")
    bounds = np.searchsorted(pick[order], np.arange(len(formats) + 1))
    out = np.empty(n, dtype=object)
    for f, fmt in enumerate(formats):
        rows = order[bounds[f]:bounds[f + 1]]
        if rows.size:
            out[rows] = to_str(_fill(rng, fmt, rows.size))
    return out


def phones(rng: np.random.Generator, n: int, locale: str = "pt_BR", area_codes=None) -> np.ndarray:
    """Mobile-style numbers: '+55 11 91234-5678' (pt_BR, Faker's DDDs), '(212)555-0142' (en_US).

    area_codes: the two-digit DDD of each number (pt_BR); None draws Faker's."""
    w = words(locale)
    if not w.area_codes.size:
        return numerify(rng, w.phone_formats, n)
    fmt = w.phone_formats[0]
    mat = _fill(rng, fmt, n)
    first = fmt.index("#")
    if area_codes is None:
        ddd = np.array([[ord(c) for c in code] for code in w.area_codes], dtype=np.uint32)
        mat[:, first:first + ddd.shape[1]] = ddd[rng.integers(0, ddd.shape[0], size=n)]
    else:
        codes = np.broadcast_to(np.asarray(area_codes, dtype=np.uint32), (n,))
        mat[:, first] = ord("0") + codes // 10
        mat[:, first + 1] = ord("0") + codes % 10
    return to_str(mat)


def addresses(rng: np.random.Generator, n: int, locale: str = "pt_BR", state: str | None = None,
              unique: bool = False) -> Addresses:
    """Street addresses with their street's neighbourhood and postcode; `.one_line()` joins them.

    state: postcodes inside that state's ranges (pt_BR). unique: no two addresses alike (one per household):
    a repeated street and number gets another number, uniformly, until none repeats."""
    w = words(locale)
    street = draw(rng, w.streets_t, n)
    number = draw(rng, w.numbers_t, n)
    if unique:
        number = _distinct_numbers(rng, street, number, w.numbers.size)
    number = w.numbers[number]
    street_first = locales.profile(locale).street_first
    street_address = w.streets[street] + number if street_first else number + w.streets[street]
    return Addresses(street_address, w.street_hood[street], street_postcodes(locale, state)[street], street,
                     locale, state)


def _distinct_numbers(rng: np.random.Generator, street: np.ndarray, number: np.ndarray, k: int) -> np.ndarray:
    """Building numbers redrawn (uniformly from k) where a street and number repeat, until none does.

    One sort finds the repeats; afterwards only the redrawn ones are checked against the kept, sorted keys."""
    key = street.astype(np.int64) * k + number
    kept, first = np.unique(key, return_index=True)
    again = np.ones(key.size, dtype=bool)
    again[first] = False
    todo = np.flatnonzero(again)
    for _ in range(200):
        if not todo.size:
            return number
        number[todo] = rng.integers(0, k, size=todo.size)
        fresh = street[todo].astype(np.int64) * k + number[todo]
        pos = np.searchsorted(kept, fresh)
        clash = (pos < kept.size) & (kept[np.minimum(pos, kept.size - 1)] == fresh)
        _, once = np.unique(fresh, return_index=True)
        ok = np.zeros(todo.size, dtype=bool)
        ok[once] = True
        ok &= ~clash
        kept = np.insert(kept, pos[ok], fresh[ok])
        kept.sort(kind="stable")       # values inserted at one position may be out of order; nearly sorted: cheap
        todo = todo[~ok]
    raise SimulationError(f"could not give {key.size} households distinct addresses; fewer people per region")


def national_ids(index, seed: int, locale: str = "pt_BR", region=None) -> np.ndarray:
    """The locale's national id, unique per index: a valid CPF '123.456.789-09' (pt_BR) or an SSN (en_US).

    Keep each kind of holder in its own documents.NAMESPACE range so ids never collide across files.
    region: the CPF's ninth digit per holder (its issuing fiscal region); None leaves it to the permutation.
    """
    return locales.profile(locale).national_id(index, seed, region)


class Origins(NamedTuple):
    """Per person: the phone area code (DDD) and CPF region digit of the state they come from."""
    area_code: np.ndarray | None
    cpf_region: np.ndarray | None


def origins(rng: np.random.Generator, movable: np.ndarray, locale: str, state: str, area_code: int | None,
            born_elsewhere: float) -> Origins:
    """The region's state for most; where movable (adults), a born_elsewhere share comes from another state
    (uniformly), keeping its CPF digit and its capital's DDD. (None, None) for a locale without states."""
    known = locales.profile(locale).states
    if not known:
        return Origins(None, None)
    home = known[state]
    others = [s for s in known.values() if s.uf != state]
    n = movable.shape[0]
    away = movable & (rng.random(n) < born_elsewhere)
    pick = rng.integers(0, len(others), size=n)
    code = np.where(away, np.array([s.area_codes[0] for s in others])[pick],
                    home.area_codes[0] if area_code is None else area_code)
    digit = np.where(away, np.array([s.cpf_digit for s in others])[pick], home.cpf_digit)
    return Origins(code.astype(np.int64), digit.astype(np.int16))
