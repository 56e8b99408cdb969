"""World-mode OLTP: the region's own admissions as internacoes rows.

Only the two id functions of the live contract live here for now (other parts of world mode are built
elsewhere); they let a reader of the Debezium topics name the admission and hospital of an internacao.
"""
from __future__ import annotations

import re

from hospsim.errors import OltpError

HOSPITAL_BASE = 10**14
DATE_BASE = 10**6
_ADMISSION = re.compile(r"A(\d{8})-(\d{1,6})")
_HOSPITAL = re.compile(r"H(\d{1,5})")


def internacao_id(admission_id: str, hospital_id: str) -> int:
    """hospital_no * 10**14 + yyyymmdd * 10**6 + seq: deterministic, so a resumed run writes the same keys."""
    admission, hospital = _ADMISSION.fullmatch(admission_id), _HOSPITAL.fullmatch(hospital_id)
    if admission is None or hospital is None:
        raise OltpError(f"cannot number internacao of admission {admission_id!r} at hospital {hospital_id!r}: "
                        "expected ids like A20250210-000123 and H01")
    return int(hospital[1]) * HOSPITAL_BASE + int(admission[1]) * DATE_BASE + int(admission[2])


def admission_of(internacao: int) -> tuple[str, str]:
    """(admission_id, hospital_id) of an internacao id made by internacao_id."""
    hospital, rest = divmod(int(internacao), HOSPITAL_BASE)
    day, seq = divmod(rest, DATE_BASE)
    if hospital < 1 or seq < 1 or not 10_000_101 <= day <= 99_991_231:
        raise OltpError(f"internacao id {internacao} was not made by world.internacao_id "
                        "(hospital_no * 10**14 + yyyymmdd * 10**6 + seq)")
    return f"A{day:08d}-{seq:06d}", f"H{hospital:02d}"
