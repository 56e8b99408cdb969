"""One profile per locale: every choice that differs between pt_BR and en_US, so no other module branches on one.

As Faker subclasses a provider per locale, a LocaleProfile names its Faker locale (the vocabulary) and adds what
the word lists leave out: surnames per person, the address layout, phones, the national id and the staff's
professional registration per role. hospsim.identity and hospsim.workforce read these; config.LOCALES is the
registry's keys. This module must not import config (config imports it).
"""
from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from hospsim import documents, formats
from hospsim.errors import SimulationError
from hospsim.states import STATES, State

Ids = Callable[..., np.ndarray]
"""(index, seed) -> one unique document per distinct index, as an array of str. A national id also takes
region= (the CPF region digit per row, or None), a registration states= (the council's UF)."""


@dataclass(frozen=True)
class LocaleProfile:
    """What a locale decides, as data and small functions: identity and workforce branch on these, not on names."""
    vocabulary: str            # the Faker locale whose person, address and phone_number providers give the words
    surnames: int              # per person: 2 in Brazil (the mother's, then the family's), 1 in the US
    address_layout: str        # '{street}, {number}' or '{number} {street}'
    highest_number: int        # building numbers run 1..highest_number, small ones commoner
    postcode: str              # pattern ('#' a digit), one postcode per street
    neighbourhoods: str        # the Faker address list each street's neighbourhood comes from; '' for none
    streets: Callable          # (address provider, male first names, last names) -> street names, weights
    phones: Callable           # (phone provider) -> (formats, area codes put into a format's first digits)
    national_id: Ids           # unique per index within a run (callers keep documents.NAMESPACE ranges apart)
    registrations: Mapping[str, Ids]   # workforce role -> its professional registration
    states: Mapping[str, State]   # region.state's choices, with their DDDs, CEPs, CPF digits; {} = none

    @property
    def street_first(self) -> bool:
        return self.address_layout.startswith("{street}")

    @property
    def number_joint(self) -> str:
        """What joins a building number to its street (', ' or ' ')."""
        return self.address_layout.replace("{street}", "").replace("{number}", "")


# Faker lists every Brazilian street prefix once; real streets are mostly "Rua" and "Avenida".
_BR_STREET_PREFIX_WEIGHTS = {"Rua": 60.0, "Avenida": 15.0, "Travessa": 5.0, "Alameda": 4.0, "Praça": 3.0,
                             "Estrada": 3.0, "Rodovia": 1.0, "Largo": 1.0, "Viela": 1.0}
_BR_OTHER_STREET_PREFIX_WEIGHT = 0.2
_BR_MOBILE = "+55 ## 9####-####"


def _br_streets(address, first_male: np.ndarray, last: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """'Rua Souza': every prefix with every surname, prefixes weighted as real streets are."""
    prefixes = np.array(sorted(set(address.street_prefixes)), dtype=object)
    weights = np.array([_BR_STREET_PREFIX_WEIGHTS.get(p, _BR_OTHER_STREET_PREFIX_WEIGHT) for p in prefixes])
    return (prefixes[:, None] + " " + last[None, :]).ravel(), np.repeat(weights, last.size)


def _us_streets(address, first_male: np.ndarray, last: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """'Oak Street': a name stem with every suffix, equally likely (~160k streets are plenty for one region)."""
    suffixes = np.array(sorted(set(address.street_suffixes)), dtype=object)
    stems = np.concatenate([first_male[:300], last[:400]])
    streets = (stems[:, None] + " " + suffixes[None, :]).ravel()
    return streets, np.ones(streets.size)


def _br_phones(phone) -> tuple[tuple[str, ...], np.ndarray]:
    """Mobiles with the area codes (DDD) Faker's cell formats use."""
    codes = {m.group(1) for f in phone.cellphone_formats if (m := re.fullmatch(r"\+55 (\d\d) 9####-####", f))}
    return (_BR_MOBILE,), np.array(sorted(codes))


def _us_phones(phone) -> tuple[tuple[str, ...], np.ndarray]:
    """Faker's basic formats, which carry their own area codes."""
    return tuple(phone.basic_formats), np.array([], dtype=str)


def _cpf(index: np.ndarray, seed: int, region: np.ndarray | None = None) -> np.ndarray:
    return formats.digit_pattern(documents.cpf_digits(index, seed, region), "###.###.###-##")


def _ssn(index: np.ndarray, seed: int, region: np.ndarray | None = None) -> np.ndarray:
    """The SSN has no region since 2011's randomization: region is ignored."""
    return documents.ssn(index, seed)


def _npi(index: np.ndarray, seed: int, states: str = "") -> np.ndarray:
    """The NPI is national: states is ignored."""
    return documents.npi(index, seed)


PROFILES: Mapping[str, LocaleProfile] = MappingProxyType({
    "pt_BR": LocaleProfile(
        vocabulary="pt_BR", surnames=2, address_layout="{street}, {number}", highest_number=2999,
        postcode="#####-###", neighbourhoods="bairros", streets=_br_streets, phones=_br_phones, national_id=_cpf,
        registrations=MappingProxyType({   # CRM for physicians, COREN with its category for nursing; state= the UF
            "physician": documents.crm,
            "nurse": functools.partial(documents.coren, category="ENF"),
            "nursing_technician": functools.partial(documents.coren, category="TE"),
        }), states=STATES),
    "en_US": LocaleProfile(
        vocabulary="en_US", surnames=1, address_layout="{number} {street}", highest_number=9999,
        postcode="#####", neighbourhoods="", streets=_us_streets, phones=_us_phones, national_id=_ssn,
        # the NPI: one national 10-digit number for every licensed provider, physicians and nurses alike
        registrations=MappingProxyType({role: _npi for role in ("physician", "nurse", "nursing_technician")}),
        states=MappingProxyType({})),
})
LOCALES = tuple(PROFILES)


def profile(locale: str) -> LocaleProfile:
    """The locale's profile; an unknown locale is an error naming the known ones."""
    if locale not in PROFILES:
        raise SimulationError(f"locale {locale!r} is not supported; use one of {', '.join(LOCALES)}")
    return PROFILES[locale]
