"""Documents, vectorized: Brazil's CPF and CNPJ with correct check digits, CRM and COREN registrations; the US
SSN and NPI (hospsim.locales picks a locale's).

Uniqueness without bookkeeping: an index k maps through an affine bijection (a*k + b mod M, gcd(a, M) = 1),
so distinct indexes give distinct documents; callers keep their indexes in disjoint ranges (see NAMESPACE).
"""
from __future__ import annotations

import math

import numpy as np

from hospsim import formats

UF = ("SP", "RJ", "MG", "RS", "PR", "SC", "BA", "PE", "CE", "GO", "DF", "ES", "PA", "AM", "MA", "PB", "RN",
      "AL", "PI", "MT", "MS", "SE", "RO", "TO", "AC", "AP", "RR")

# Disjoint index ranges per kind of holder, so a staff member never shares a CPF with a resident or a paciente.
NAMESPACE = {"population": 0, "staff": 400_000_000, "reserve": 500_000_000, "oltp": 600_000_000}

_CPF_SPACE = 10**9 - 10          # 9-digit bases without the ten repdigits (000000000, 111111111, ...)
_CPF_W1 = np.arange(10, 1, -1)
_CPF_W2 = np.arange(11, 1, -1)
_CNPJ_W1 = np.array([5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2])
_CNPJ_W2 = np.array([6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2])


def _affine(modulus: int, rng: np.random.Generator) -> tuple[int, int]:
    while True:
        a = int(rng.integers(modulus // 3, modulus - 1))
        if math.gcd(a, modulus) == 1:
            return a, int(rng.integers(0, modulus))


def _mulmod(x: np.ndarray, a: int, modulus: int) -> np.ndarray:
    """x*a mod modulus without int64 overflow (a is split so every partial product stays below 2**63)."""
    hi, lo = divmod(a, 1 << 20)
    return (((x * hi) % modulus) * (1 << 20) % modulus + x * lo) % modulus


def _reverse_digits(x: np.ndarray, width: int) -> np.ndarray:
    out = np.zeros_like(x)
    rest = x.copy()
    for _ in range(width):
        rest, digit = np.divmod(rest, 10)
        out = out * 10 + digit
    return out


def permutation(index: np.ndarray, modulus: int, seed: int) -> np.ndarray:
    """A seeded permutation of [0, modulus): affine, digit reversal, affine on [0, 10**w), cycle-walked into range.

    The digit reversal between the two affine maps keeps neighbouring indexes (and the same index in two
    namespaces) from giving look-alike documents.
    """
    idx = np.asarray(index, dtype=np.int64)
    if idx.size and (idx.min() < 0 or idx.max() >= modulus):
        raise ValueError(f"document index out of range [0, {modulus})")
    width = len(str(modulus - 1))
    domain = 10**width
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(modulus,)))
    (a1, b1), (a2, b2) = _affine(domain, rng), _affine(domain, rng)

    def permute(x: np.ndarray) -> np.ndarray:
        x = (_mulmod(x, a1, domain) + b1) % domain
        return (_mulmod(_reverse_digits(x, width), a2, domain) + b2) % domain

    out = permute(idx)
    outside = out >= modulus
    while outside.any():  # cycle walking: a permutation of [0, domain) restricted to [0, modulus)
        out[outside] = permute(out[outside])
        outside = out >= modulus
    return out


def digits(values: np.ndarray, width: int, extra: int = 0) -> np.ndarray:
    """Decimal digits as a (n, width + extra) int16 matrix; the extra columns are left for check digits."""
    rest = np.asarray(values, dtype=np.int64).copy()
    out = np.zeros((rest.shape[0], width + extra), dtype=np.int16)
    for col in range(width - 1, -1, -1):
        rest, out[:, col] = np.divmod(rest, 10)
    return out


def _check_digit(digits: np.ndarray, weights: np.ndarray) -> np.ndarray:
    r = (digits.astype(np.int32) @ weights.astype(np.int32)) % 11
    return np.where(r < 2, 0, 11 - r)


def _text(digits: np.ndarray, pattern: str) -> np.ndarray:
    """Digits in a pattern, as a fixed-width str array (what these functions have always returned)."""
    return formats.digit_pattern(digits, pattern).astype(f"U{len(pattern)}")


_REGION_BLOCK = (10**8 - 10) // len(NAMESPACE)   # holders per namespace when the ninth digit is given


def _compact(index: np.ndarray) -> np.ndarray:
    """NAMESPACE ranges folded into [0, 10**8 - 10): each namespace keeps _REGION_BLOCK indexes of its own."""
    idx = np.asarray(index, dtype=np.int64)
    starts = np.array(sorted(NAMESPACE.values()), dtype=np.int64)
    rank = np.searchsorted(starts, idx, side="right") - 1
    offset = idx - starts[rank]
    if idx.size and offset.max() >= _REGION_BLOCK:
        raise ValueError(f"a CPF with a region digit takes at most {_REGION_BLOCK} holders per namespace")
    return rank * _REGION_BLOCK + offset


def cpf_digits(index: np.ndarray, seed: int, region: np.ndarray | None = None) -> np.ndarray:
    """The 11 digits of unique valid CPFs; region (0-9 per row, the ninth digit: the issuing fiscal region)
    sets the ninth digit, the first eight stay unique per index."""
    if region is None:
        v = permutation(index, _CPF_SPACE, seed)
        base = v + 1 + v // 111_111_110  # skip the repdigits, which are never valid CPFs
        d = digits(base, 9, extra=2)
    else:
        v = permutation(_compact(index), 10**8 - 10, seed)
        d = digits(v + 1 + v // 11_111_110, 8, extra=3)   # no repeated-digit prefix, so never a repdigit CPF
        d[:, 8] = np.broadcast_to(np.asarray(region, dtype=np.int16), v.shape)
    d[:, 9] = _check_digit(d[:, :9], _CPF_W1)
    d[:, 10] = _check_digit(d[:, :10], _CPF_W2)
    return d


def cpf(index: np.ndarray, seed: int, formatted: bool = True) -> np.ndarray:
    """Unique valid CPFs ('123.456.789-09') for distinct indexes."""
    return _text(cpf_digits(index, seed), "###.###.###-##" if formatted else "#" * 11)


def cnpj(index: np.ndarray, seed: int, formatted: bool = True) -> np.ndarray:
    """Unique valid CNPJs ('12.345.678/0001-95') of head offices for distinct indexes."""
    root = permutation(index, 10**8, seed)
    d = digits(root, 8, extra=6)
    d[:, 11] = 1  # branch 0001: the head office
    d[:, 12] = _check_digit(d[:, :12], _CNPJ_W1)
    d[:, 13] = _check_digit(d[:, :13], _CNPJ_W2)
    return _text(d, "##.###.###/####-##" if formatted else "#" * 14)


def crm(index: np.ndarray, seed: int, states: np.ndarray | str = "SP") -> np.ndarray:
    """Unique CRMs such as '123456SP' (number unique within the run, state appended)."""
    number = permutation(index, 900_000, seed) + 100_000
    st = np.broadcast_to(np.asarray(states, dtype=str), number.shape)
    return np.char.add(number.astype(str), st)


def coren(index: np.ndarray, seed: int, states: np.ndarray | str = "SP", category: str = "") -> np.ndarray:
    """Unique COREN registrations such as 'COREN-SP 123456', or 'COREN-SP 123456-ENF' with a category
    (ENF for nurses, TE for nursing technicians)."""
    number = permutation(index, 900_000, seed ^ 0x5EED) + 100_000
    st = np.broadcast_to(np.asarray(states, dtype=str), number.shape)
    out = np.char.add(np.char.add(np.char.add("COREN-", st), " "), number.astype(str))
    return np.char.add(out, "-" + category) if category else out


_SSN_AREAS = np.array([a for a in range(1, 900) if a != 666])   # 000, 666 and 900-999 are never issued
_SSN_SPACE = _SSN_AREAS.size * 99 * 9999                       # groups 01-99, serials 0001-9999


def ssn(index, seed: int) -> np.ndarray:
    """Unique SSN-like '###-##-####' strings for distinct indexes, as an object array of str."""
    v = permutation(np.asarray(index, dtype=np.int64), _SSN_SPACE, seed)
    area, rest = np.divmod(v, 99 * 9999)
    group, serial = np.divmod(rest, 9999)
    d = np.concatenate([digits(_SSN_AREAS[area], 3), digits(group + 1, 2), digits(serial + 1, 4)], axis=1)
    return formats.digit_pattern(d, "###-##-####")


_NPI_PREFIX_SUM = 24   # the Luhn sum of the prefix 80840 that CMS puts before an NPI's digits


def _luhn_npi(d: np.ndarray) -> np.ndarray:
    """The NPI check digit of 9-digit rows: Luhn over 80840 + the digits (every other one doubled from the right)."""
    doubled = d[:, ::-2] * 2
    plain = d[:, -2::-2]
    total = _NPI_PREFIX_SUM + (doubled // 10 + doubled % 10).sum(axis=1) + plain.sum(axis=1)
    return (10 - total % 10) % 10


def npi(index: np.ndarray, seed: int) -> np.ndarray:
    """Unique National Provider Identifiers ('1234567893'): 10 digits, first 1 or 2, Luhn check digit last."""
    base = permutation(index, 2 * 10**8, seed) + 10**8
    d = digits(base, 9, extra=1)
    d[:, 9] = _luhn_npi(d[:, :9])
    return formats.digit_pattern(d, "#" * 10)


def valid_npi(values) -> np.ndarray:
    """True where a 10-digit NPI starts with 1 or 2 and its last digit is the Luhn check of the rest."""
    ok, d = _digit_rows(np.asarray(values, dtype=str), 10)
    result = np.zeros(ok.shape, dtype=bool)
    result[ok] = (_luhn_npi(d[:, :9]) == d[:, 9]) & np.isin(d[:, 0], (1, 2))
    return result


def _only_digits(values) -> np.ndarray:
    s = np.asarray(values, dtype=str)
    return np.char.replace(np.char.replace(np.char.replace(s, ".", ""), "-", ""), "/", "")


def _digit_rows(raw: np.ndarray, length: int) -> tuple[np.ndarray, np.ndarray]:
    """Which strings are `length` digits, and those as an (n, length) int matrix."""
    ok = (np.char.str_len(raw) == length) & np.char.isdigit(raw)
    d = np.frombuffer(raw[ok].astype(f"S{length}").tobytes(), dtype=np.uint8).reshape(-1, length).astype(np.int64)
    return ok, d - 48


def _valid(values, length: int, w1: np.ndarray, w2: np.ndarray) -> np.ndarray:
    """True where a document of `length` digits (formatted or bare) has both check digits right."""
    ok, d = _digit_rows(_only_digits(values), length)
    result = np.zeros(ok.shape, dtype=bool)
    if ok.any():
        good = (_check_digit(d[:, :length - 2], w1) == d[:, length - 2]) & (_check_digit(d[:, :length - 1], w2) == d[:, length - 1])
        good &= ~(d == d[:, :1]).all(axis=1)
        result[ok] = good
    return result


def valid_cpf(values) -> np.ndarray:
    """True where a CPF (formatted or bare) has correct check digits and is not a repdigit."""
    return _valid(values, 11, _CPF_W1, _CPF_W2)


def valid_cnpj(values) -> np.ndarray:
    """True where a CNPJ (formatted or bare) has correct check digits."""
    return _valid(values, 14, _CNPJ_W1, _CNPJ_W2)
