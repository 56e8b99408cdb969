"""Brazil's 27 federative units as data: the facts a regional identity follows (region.state picks one).

Sources: area codes (DDD) from Anatel's national numbering plan; postcode (CEP) ranges from Correios' CEP
ranges by state; the CPF's ninth digit (the issuing fiscal region) from Receita Federal. A region's residents
get its state's DDD, CEPs and CPF digit, and its staff register with that state's CRM and COREN.
This module must not import config (config imports it through hospsim.locales).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class State:
    uf: str                                   # the two-letter code CRM and COREN registrations carry
    name: str
    capital: str
    area_codes: tuple[int, ...]               # DDDs, the capital's first (Anatel)
    postcodes: tuple[tuple[int, int], ...]    # inclusive ranges of the CEP's first five digits (Correios)
    cpf_digit: int                            # the CPF's ninth digit: the fiscal region that issued it (Receita Federal)


_TABLE = (
    State("AC", "Acre", "Rio Branco", (68,), ((69900, 69999),), 2),
    State("AL", "Alagoas", "Maceió", (82,), ((57000, 57999),), 4),
    State("AP", "Amapá", "Macapá", (96,), ((68900, 68999),), 2),
    State("AM", "Amazonas", "Manaus", (92, 97), ((69000, 69299), (69400, 69899)), 2),
    State("BA", "Bahia", "Salvador", (71, 73, 74, 75, 77), ((40000, 48999),), 5),
    State("CE", "Ceará", "Fortaleza", (85, 88), ((60000, 63999),), 3),
    State("DF", "Distrito Federal", "Brasília", (61,), ((70000, 72799), (73000, 73699)), 1),
    State("ES", "Espírito Santo", "Vitória", (27, 28), ((29000, 29999),), 7),
    State("GO", "Goiás", "Goiânia", (62, 64), ((72800, 72999), (73700, 76799)), 1),
    State("MA", "Maranhão", "São Luís", (98, 99), ((65000, 65999),), 3),
    State("MT", "Mato Grosso", "Cuiabá", (65, 66), ((78000, 78899),), 1),
    State("MS", "Mato Grosso do Sul", "Campo Grande", (67,), ((79000, 79999),), 1),
    State("MG", "Minas Gerais", "Belo Horizonte", (31, 32, 33, 34, 35, 37, 38), ((30000, 39999),), 6),
    State("PA", "Pará", "Belém", (91, 93, 94), ((66000, 68899),), 2),
    State("PB", "Paraíba", "João Pessoa", (83,), ((58000, 58999),), 4),
    State("PR", "Paraná", "Curitiba", (41, 42, 43, 44, 45, 46), ((80000, 87999),), 9),
    State("PE", "Pernambuco", "Recife", (81, 87), ((50000, 56999),), 4),
    State("PI", "Piauí", "Teresina", (86, 89), ((64000, 64999),), 3),
    State("RJ", "Rio de Janeiro", "Rio de Janeiro", (21, 22, 24), ((20000, 28999),), 7),
    State("RN", "Rio Grande do Norte", "Natal", (84,), ((59000, 59999),), 4),
    State("RS", "Rio Grande do Sul", "Porto Alegre", (51, 53, 54, 55), ((90000, 99999),), 0),
    State("RO", "Rondônia", "Porto Velho", (69,), ((76800, 76999),), 2),
    State("RR", "Roraima", "Boa Vista", (95,), ((69300, 69399),), 2),
    State("SC", "Santa Catarina", "Florianópolis", (48, 47, 49), ((88000, 89999),), 9),
    State("SP", "São Paulo", "São Paulo", (11, 12, 13, 14, 15, 16, 17, 18, 19), ((1000, 19999),), 8),
    State("SE", "Sergipe", "Aracaju", (79,), ((49000, 49999),), 5),
    State("TO", "Tocantins", "Palmas", (63,), ((77000, 77999),), 1),
)
STATES: Mapping[str, State] = MappingProxyType({s.uf: s for s in _TABLE})


def postcode_of(code: str) -> str | None:
    """The UF whose CEP ranges hold a 'NNNNN-NNN' postcode, or None."""
    try:
        five = int(code[:5])
    except ValueError:
        return None
    return next((s.uf for s in _TABLE for lo, hi in s.postcodes if lo <= five <= hi), None)
