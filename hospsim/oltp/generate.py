"""The OLTP simulator's data, generated with numpy over whole tables (seed) or whole batches (stream).

Pure: params and a numpy Generator in, DataFrames or plain lists out; nothing here touches the database.
Documents come from hospsim.documents in the "oltp" index range, so they never collide with the
population's or the staff's; a paciente's CPF index is its ordinal, so the stream, which continues from
the largest paciente id in the table, stays unique across seeds, streams and restarts.
"""
from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hospsim import documents, identity
from hospsim import rng as rngs
from hospsim.config import OltpMix
from hospsim.oltp import tables

ENTITIES = tables.STREAMED
"""The tables the stream writes, in the order of its mix weights."""
SINGULAR = tables.SINGULAR

ESPECIALIDADES = {  # share of specialists in Brazil, rounded (CFM Demografia Médica)
    "Clínica Médica": 0.13, "Pediatria": 0.10, "Cirurgia Geral": 0.09, "Ginecologia e Obstetrícia": 0.09,
    "Anestesiologia": 0.07, "Ortopedia e Traumatologia": 0.06, "Cardiologia": 0.05, "Oftalmologia": 0.04,
    "Medicina de Família e Comunidade": 0.04, "Radiologia": 0.04, "Psiquiatria": 0.04, "Dermatologia": 0.03,
    "Medicina Intensiva": 0.03, "Neurologia": 0.02, "Gastroenterologia": 0.02, "Endocrinologia": 0.02,
    "Urologia": 0.02, "Oncologia Clínica": 0.02, "Infectologia": 0.02, "Nefrologia": 0.02,
}
CONVENIO_TIPOS = {"Medicina de Grupo": 0.38, "Cooperativa Médica": 0.34, "Seguradora Especializada em Saúde": 0.14,
                  "Autogestão": 0.10, "Filantropia": 0.04}  # ANS modalities, by beneficiaries
CONVENIO_COBERTURAS = {"Ambulatorial + Hospitalar com Obstetrícia": 0.55, "Ambulatorial + Hospitalar": 0.20,
                       "Ambulatorial": 0.12, "Hospitalar com Obstetrícia": 0.05, "Referência": 0.08}
_CONVENIO_WORDS = (("Vida", "Bem", "Mais", "Prever", "Amparo", "Viva", "Cuidar", "Sempre", "Nova", "Integral",
                    "Plena", "Total"), ("Saúde", "Med", "Assistência", "Planos de Saúde", "Care", "Clin"))
EXAMES = {  # tipo -> (weight, qualitative: True = Positivo/Negativo, False = Normal/Alterado)
    "Hemograma completo": (0.18, False), "Glicemia de jejum": (0.10, False), "Colesterol total e frações": (0.08, False),
    "Creatinina": (0.07, False), "TSH": (0.05, False), "Urina tipo I": (0.08, False), "Hemoglobina glicada": (0.04, False),
    "Raio-X de tórax": (0.08, False), "Eletrocardiograma": (0.07, False), "Ultrassonografia abdominal": (0.05, False),
    "Tomografia de crânio": (0.03, False), "RT-PCR SARS-CoV-2": (0.05, True), "Teste rápido de dengue NS1": (0.04, True),
    "Sorologia HIV": (0.03, True), "Beta-HCG": (0.03, True), "Urocultura": (0.02, True),
}
QUALITATIVE = tuple(t for t, (_, q) in EXAMES.items() if q)
ABNORMAL_SHARE = 0.30   # Alterado among Normal/Alterado results
POSITIVE_SHARE = 0.15   # Positivo among Positivo/Negativo results
PENDING_DAYS = 3        # seeded exames this close to as_of still wait for a result
MOTIVOS = {  # common causes of admission (SIH/SUS orders of magnitude)
    "Parto": 0.16, "Pneumonia": 0.10, "Insuficiência cardíaca": 0.06, "Infecção do trato urinário": 0.06,
    "Fratura de fêmur": 0.04, "Apendicite aguda": 0.04, "Colecistite": 0.05, "AVC isquêmico": 0.04,
    "Infarto agudo do miocárdio": 0.03, "DPOC exacerbada": 0.04, "Sepse": 0.04, "Diabetes descompensado": 0.03,
    "Cirurgia eletiva": 0.18, "Dengue grave": 0.03, "Gastroenterite": 0.06,
}
STATUS_FINAL = {"realizada": 0.78, "cancelada": 0.12, "faltou": 0.10}   # how an agendada consulta ends
_AGE_DECADES = np.array([0.12, 0.11, 0.14, 0.15, 0.14, 0.13, 0.11, 0.07, 0.03])  # 0-9 ... 80-89 (last 80-94)
_AGE_CDF = np.cumsum(_AGE_DECADES / _AGE_DECADES.sum())
_AGE_CDF[-1] = 1.0
_BOOKING_MINUTES = (60, 30 * 24 * 60)   # a consulta is booked 1 hour to 30 days ahead
_STREAM_UPDATE_TELEFONE = 0.5           # share of paciente updates that change the phone (else the address)


class _Vocabulary:
    """A weighted vocabulary with its cumulative weights, built once: a draw is one searchsorted."""

    def __init__(self, table: dict) -> None:
        self.values = np.array(list(table), dtype=object)
        w = np.array([v[0] if isinstance(v, tuple) else v for v in table.values()], dtype=float)
        self.cdf = np.cumsum(w / w.sum())
        self.cdf[-1] = 1.0

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.values[np.searchsorted(self.cdf, rng.random(n), side="right")]


_VOCABULARIES: dict[int, _Vocabulary] = {}


def _choice(rng: np.random.Generator, table: dict, n: int) -> np.ndarray:
    vocab = _VOCABULARIES.get(id(table))
    if vocab is None:
        vocab = _VOCABULARIES[id(table)] = _Vocabulary(table)
    return vocab.draw(rng, n)


def cpf_index(ordinal) -> np.ndarray:
    """The documents index of the paciente with this 1-based ordinal."""
    return documents.NAMESPACE["oltp"] + np.asarray(ordinal, dtype=np.int64)


def _scaled_base(modulus: int) -> int:
    """The start of the oltp range inside a smaller document space (CRM: 900k numbers, CNPJ: 10^8 roots).

    NAMESPACE offsets are fractions of the CPF space; the same fraction of a smaller space keeps kinds apart.
    """
    return documents.NAMESPACE["oltp"] * modulus // 10**9


def history_end(params) -> pd.Timestamp:
    """Exclusive end of the seeded history: midnight UTC after oltp.seed.as_of; the stream never writes earlier."""
    return pd.Timestamp(params.oltp.seed.as_of + dt.timedelta(days=1), tz="UTC")


def _timestamps(seconds: np.ndarray) -> pd.DatetimeIndex:
    return pd.to_datetime(np.asarray(seconds, dtype=np.int64), unit="s", utc=True)


def _cities(params) -> np.ndarray:
    return np.array(sorted({h.city for h in params.region.hospitals}), dtype=object)


def enderecos(rng: np.random.Generator, n: int, params) -> np.ndarray:
    """'Rua Souza, 123 - Centro, 01234-567, São Paulo': a street in one of the region's cities."""
    cities = _cities(params)
    return identity.addresses(rng, n, params.locale).one_line() + ", " + cities[rng.integers(0, len(cities), n)]


def _ages_days(rng: np.random.Generator, n: int) -> np.ndarray:
    """Ages in days by decade of life (a young, Brazilian-like pyramid); the last decade runs to 94."""
    decade = np.searchsorted(_AGE_CDF, rng.random(n), side="right")
    years = decade * 10 + rng.integers(0, 10, n) + np.where(decade == len(_AGE_DECADES) - 1, rng.integers(0, 6, n), 0)
    return (years * 365.25 + rng.integers(0, 365, n)).astype(np.int64)


def _birth_dates(rng: np.random.Generator, registered: pd.DatetimeIndex) -> np.ndarray:
    born = registered.tz_convert(None).normalize() - pd.to_timedelta(_ages_days(rng, len(registered)), unit="D")
    return np.asarray(born.date)


def pacientes_rows(rng: np.random.Generator, params, ordinals: np.ndarray,
                   with_documents: bool = True) -> dict[str, np.ndarray]:
    """New pacientes' own columns (CPFs from their ordinals); the caller adds birth and registration."""
    n = len(ordinals)
    sexo = np.where(rng.random(n) < 0.52, "F", "M").astype(object)
    rows = {
        "sexo": sexo,
        "nome": identity.person_names(rng, sexo, params.locale),
        "telefone": identity.phones(rng, n, params.locale),
        "endereco": enderecos(rng, n, params),
    }
    if with_documents:
        rows["cpf"] = cpfs(params, ordinals)
    return rows


def cpfs(params, ordinals) -> np.ndarray:
    return documents.cpf(cpf_index(ordinals), params.seed).astype(object)


class PeoplePool:
    """Names, phones and addresses for the stream, made in blocks by identity's bulk functions.

    identity is built for whole populations; a batch needs a handful of people, so the stream takes them
    in order from a block of BLOCK made at once (each block from its own seed stream, so a run is
    reproducible) instead of paying the per-call cost every batch.
    """
    BLOCK = 4096

    def __init__(self, params, *keys: int) -> None:
        self.params = params
        self.keys = keys
        self._block = -1
        self._data: dict[str, np.ndarray] = {}
        self._pos = self.BLOCK
        self._cpf_start, self._cpf = 0, np.zeros(0, dtype=object)

    def _next_block(self) -> None:
        self._block += 1
        r = rngs.generator(self.params.seed, "oltp_stream_people", *self.keys, self._block)
        ordinals = np.zeros(self.BLOCK, dtype=np.int64)  # documents are not pooled: see pacientes_rows
        self._data = pacientes_rows(r, self.params, ordinals, with_documents=False)
        self._pos = 0

    def cpfs(self, ordinals: np.ndarray) -> np.ndarray:
        """CPFs of consecutive new ordinals, computed a block at a time (a CPF depends on its ordinal only)."""
        lo, hi = int(ordinals[0]), int(ordinals[-1])
        if not (self._cpf_start <= lo and hi < self._cpf_start + len(self._cpf)):
            self._cpf_start = lo
            self._cpf = cpfs(self.params, lo + np.arange(max(self.BLOCK, hi - lo + 1)))
        return self._cpf[ordinals - self._cpf_start]

    def take(self, n: int) -> dict[str, np.ndarray]:
        parts: list[dict[str, np.ndarray]] = []
        while n > 0:
            if self._pos >= self.BLOCK:
                self._next_block()
            k = min(n, self.BLOCK - self._pos)
            parts.append({c: v[self._pos:self._pos + k] for c, v in self._data.items()})
            self._pos += k
            n -= k
        if len(parts) == 1:
            return parts[0]
        return {c: np.concatenate([p[c] for p in parts]) for c in parts[0]} if parts else {}


# ----------------------------------------------------------------------------------------------- seed


def seed_tables(params) -> dict[str, pd.DataFrame]:
    """The tables of the initial load (hospsim.oltp.tables), with explicit ids 1..n, in dependency order.

    Dates are coherent: registrations spread over history_days before as_of; every consulta, exame and
    internacao falls after its paciente registered; results after collection; altas after entradas;
    consultas after as_of are still agendada, exames of the last PENDING_DAYS still Pendente, stays that
    outlast as_of still open. Each table draws from its own seed stream, so the tables do not depend on
    the order they are made in.
    """
    history = _History.of(params)
    return {t: _SEEDERS[t](history) for t in tables.NAMES}


@dataclass(frozen=True)
class _History:
    """What every seeded table dates itself against: the end of history and when each paciente registered."""
    params: object
    end_s: int
    registered_s: np.ndarray
    pacientes: pd.DataFrame
    activity: np.ndarray       # how often each paciente comes back: shared by consultas, exames and stays

    @classmethod
    def of(cls, params) -> _History:
        s = params.oltp.seed
        end_s = int(history_end(params).timestamp())
        r = cls.rng(params, "pacientes")
        pid = np.arange(1, s.pacientes + 1)
        registered_s = end_s - 1 - np.sort(r.integers(0, s.history_days * 86_400, s.pacientes))[::-1]
        registered = _timestamps(registered_s)
        cols = pacientes_rows(r, params, pid)
        pacientes = pd.DataFrame({"id": pid, "cpf": cols["cpf"], "nome": cols["nome"], "sexo": cols["sexo"],
                                  "data_nascimento": _birth_dates(r, registered), "telefone": cols["telefone"],
                                  "endereco": cols["endereco"], "data_cadastro": registered})
        activity = cls.rng(params, "activity").gamma(0.8, size=s.pacientes)
        activity = activity / activity.sum() if s.pacientes else activity
        return cls(params, end_s, registered_s, pacientes, activity)

    @staticmethod
    def rng(params, stage: str) -> np.random.Generator:
        return rngs.generator(params.seed, f"oltp_seed_{stage}")

    @property
    def seed(self):
        return self.params.oltp.seed

    def after_registration(self, r: np.random.Generator, n: int, horizon_end_s: int) -> tuple[np.ndarray, np.ndarray]:
        """n pacientes (weighted by activity) and a time for each between its registration and horizon_end_s."""
        who = r.choice(self.seed.pacientes, size=n, p=self.activity) if n else np.zeros(0, dtype=np.int64)
        start = self.registered_s[who]
        return who, start + (r.random(n) * (horizon_end_s - start)).astype(np.int64)


def _seed_medicos(h: _History) -> pd.DataFrame:
    r, n, seed = h.rng(h.params, "medicos"), h.seed.medicos, h.params.seed
    mid = np.arange(1, n + 1)
    sexo = np.where(r.random(n) < 0.48, "F", "M").astype(object)
    uf = np.where(r.random(n) < 0.85, "SP", np.array(documents.UF)[r.integers(0, len(documents.UF), n)])
    return pd.DataFrame({
        "id": mid,
        "crm": documents.crm(_scaled_base(900_000) + mid, seed, uf).astype(object),
        "nome": np.where(sexo == "F", "Dra. ", "Dr. ") + identity.person_names(r, sexo, h.params.locale),
        "especialidade": _choice(r, ESPECIALIDADES, n),
    })


def _seed_convenios(h: _History) -> pd.DataFrame:
    r, n = h.rng(h.params, "convenios"), h.seed.convenios
    cid = np.arange(1, n + 1)
    first, second = _CONVENIO_WORDS
    combos = (np.array(first, dtype=object)[:, None] + " " + np.array(second, dtype=object)[None, :]).ravel()
    names = combos[r.permutation(len(combos))][(cid - 1) % len(combos)]
    names = np.where(cid > len(combos), names + " " + ((cid - 1) // len(combos) + 1).astype(str), names)
    return pd.DataFrame({
        "id": cid, "cnpj": documents.cnpj(_scaled_base(10**8) + cid, h.params.seed).astype(object), "nome": names,
        "tipo": _choice(r, CONVENIO_TIPOS, n), "cobertura": _choice(r, CONVENIO_COBERTURAS, n),
    })


def _seed_pacientes_convenios(h: _History) -> pd.DataFrame:
    r, s = h.rng(h.params, "pacientes_convenios"), h.seed
    pairs = np.sort(r.choice(s.pacientes * s.convenios, size=s.pacientes_convenios, replace=False))
    pc_pac, pc_conv = pairs // s.convenios + 1, pairs % s.convenios + 1
    start = h.registered_s[pc_pac - 1]
    joined = _timestamps(start + (r.random(len(pairs)) * (h.end_s - start)).astype(np.int64))
    carteira = pc_conv * 10**12 + pc_pac * 100 + r.integers(0, 100, len(pairs))
    return pd.DataFrame({
        "id": np.arange(1, len(pairs) + 1), "paciente_id": pc_pac, "convenio_id": pc_conv,
        "numero_carteira": np.char.zfill(carteira.astype(str), 18).astype(object),
        "data_adesao": np.asarray(joined.tz_convert(None).date),
    })


def _seed_consultas(h: _History) -> pd.DataFrame:
    r, n = h.rng(h.params, "consultas"), h.seed.consultas
    who, when = h.after_registration(r, n, h.end_s + 30 * 86_400)
    when = -(-when // 900) * 900  # up to the next 15-minute slot: never before registration
    final = _choice(r, STATUS_FINAL, n)
    return pd.DataFrame({
        "id": np.arange(1, n + 1), "paciente_id": who + 1,
        "medico_id": r.integers(1, h.seed.medicos + 1, n), "data_consulta": _timestamps(when),
        "status": np.where(when >= h.end_s, "agendada", final).astype(object),
    })


def _seed_exames(h: _History) -> pd.DataFrame:
    r, n = h.rng(h.params, "exames"), h.seed.exames
    who, when = h.after_registration(r, n, h.end_s)
    tipo = _choice(r, EXAMES, n)
    pending = when >= h.end_s - PENDING_DAYS * 86_400
    delay = r.integers(3_600, PENDING_DAYS * 86_400, n)
    return pd.DataFrame({
        "id": np.arange(1, n + 1), "paciente_id": who + 1, "tipo": tipo,
        "data_exame": _timestamps(when), "resultado": np.where(pending, "Pendente", results(r, tipo)).astype(object),
        "data_resultado": pd.Series(_timestamps(when + delay)).where(~pending),
    })


def _seed_internacoes(h: _History) -> pd.DataFrame:
    r, n = h.rng(h.params, "internacoes"), h.seed.internacoes
    who, when = h.after_registration(r, n, h.end_s)
    mean_los_s = h.params.simulation.mean_length_of_stay_days * 86_400
    sigma = 0.8
    los = r.lognormal(np.log(mean_los_s) - sigma**2 / 2, sigma, n).astype(np.int64) + 3_600
    out = when + los
    return pd.DataFrame({
        "id": np.arange(1, n + 1), "paciente_id": who + 1, "data_entrada": _timestamps(when),
        "data_saida": pd.Series(_timestamps(out)).where(out < h.end_s), "motivo": _choice(r, MOTIVOS, n),
    })


_SEEDERS = {"pacientes": lambda h: h.pacientes, "medicos": _seed_medicos, "convenios": _seed_convenios,
            "pacientes_convenios": _seed_pacientes_convenios, "consultas": _seed_consultas, "exames": _seed_exames,
            "internacoes": _seed_internacoes}
"""Each registry table's initial rows, from the shared history (hospsim.oltp.tables lists the tables)."""


def results(rng: np.random.Generator, tipo: np.ndarray) -> np.ndarray:
    """A result that fits each exam: Positivo/Negativo for qualitative tests, Normal/Alterado otherwise."""
    u = rng.random(len(tipo))
    qualitative = np.isin(tipo, QUALITATIVE)
    return np.where(qualitative, np.where(u < POSITIVE_SHARE, "Positivo", "Negativo"),
                    np.where(u < ABNORMAL_SHARE, "Alterado", "Normal")).astype(object)


# ----------------------------------------------------------------------------------------------- stream


@dataclass
class Targets:
    """What a batch may refer to or move: ids as numpy arrays (see stream.Caches, which owns them)."""
    pacientes: np.ndarray
    medicos: np.ndarray
    consultas: np.ndarray      # agendada
    exames: np.ndarray         # Pendente
    internacoes: np.ndarray    # open (no data_saida)
    last_paciente: int         # the largest paciente ordinal in use: new CPFs continue after it


@dataclass
class Batch:
    """One transaction's worth of events, in the order they are logged."""
    is_insert: np.ndarray                  # per event
    entity: np.ndarray                     # per event: index into ENTITIES
    payload: dict                          # JSON for apply_stream_batch
    picked: dict[str, np.ndarray] = field(default_factory=dict)  # update targets: positions in Targets arrays

    @property
    def size(self) -> int:
        return len(self.is_insert)

    @property
    def new_pacientes(self) -> int:
        return len(self.payload.get("pacientes", ()))


def _normalized(weights) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return w / w.sum()


def plan(rng: np.random.Generator, n: int, stream, targets: Targets) -> tuple[np.ndarray, np.ndarray]:
    """Which events are INSERTs and which table each goes to, honouring what exists.

    INSERTs of consultas/exames/internacoes need a paciente (consultas a medico too); UPDATEs need distinct
    rows still open. Events that cannot happen move to tables that can take them, and UPDATEs with no
    target anywhere become INSERTs, so the 70/30 mix only bends when the database is nearly empty.
    """
    has_pac = len(targets.pacientes) > 0
    ins_ok = (True, has_pac and len(targets.medicos) > 0, has_pac, has_pac)
    capacity = np.array([len(targets.pacientes), len(targets.consultas), len(targets.exames),
                         len(targets.internacoes)])
    cdf_ins = _weights(stream.inserts, ins_ok)[1]
    if cdf_ins is None:  # nothing else is possible: new pacientes
        cdf_ins = _weights(OltpMix(1.0, 0, 0, 0), (True, False, False, False))[1]
    upd_w = _weights(stream.updates, (True,) * len(ENTITIES))[0]
    w, cdf_upd = _weights(stream.updates, tuple((capacity > 0).tolist()))
    is_insert = rng.random(n) < stream.insert_ratio
    entity = np.empty(n, dtype=np.int64)

    if cdf_upd is not None:  # the usual case, in one pass: every event draws its table from its kind's weights
        u = rng.random(n)
        entity = np.where(is_insert, cdf_ins.searchsorted(u, side="right"), cdf_upd.searchsorted(u, side="right"))
        if (np.bincount(entity[~is_insert], minlength=len(ENTITIES)) <= capacity).all():
            return is_insert, entity

    upd = np.flatnonzero(~is_insert)
    alloc = np.zeros(len(ENTITIES), dtype=np.int64)
    if upd.size and w.sum() > 0:
        alloc = rng.multinomial(upd.size, _normalized(w))
        for _ in range(len(ENTITIES)):  # more updates than distinct open rows: spill the excess elsewhere
            over = np.maximum(alloc - capacity, 0)
            if not over.any():
                break
            alloc -= over
            w = upd_w * (capacity > alloc)
            if w.sum() <= 0:
                break
            alloc += rng.multinomial(over.sum(), _normalized(w))
        alloc = np.minimum(alloc, capacity)
    labels = np.concatenate([np.repeat(np.arange(len(ENTITIES)), alloc), np.full(upd.size - alloc.sum(), -1)])
    rng.shuffle(labels)
    entity[upd] = labels
    is_insert[upd[labels < 0]] = True  # no row left to move anywhere: a new row instead

    ins = np.flatnonzero(is_insert)
    entity[ins] = cdf_ins.searchsorted(rng.random(ins.size), side="right")
    return is_insert, entity


@functools.cache
def _weights(mix, allowed: tuple[bool, ...]) -> tuple[np.ndarray, np.ndarray | None]:
    """A mix's weights with the impossible tables zeroed, and their cumulative sums for searchsorted
    (side="right": a zero weight adds no step, so it is never drawn); None when nothing is possible."""
    w = np.array([getattr(mix, e) for e in ENTITIES], dtype=float) * np.array(allowed)
    if w.sum() <= 0:
        return w, None
    cdf = np.cumsum(w / w.sum())
    cdf[np.flatnonzero(w > 0)[-1]:] = 1.0
    return w, cdf


def _pick(rng: np.random.Generator, pool: int, k: int) -> np.ndarray:
    """k distinct positions in [0, pool)."""
    if k == 0:
        return np.zeros(0, dtype=np.int64)
    return rng.choice(pool, size=k, replace=False)


def _rows(columns: dict[str, list]) -> list[dict]:
    keys = list(columns)
    return [dict(zip(keys, values)) for values in zip(*columns.values())]


def stream_batch(rng: np.random.Generator, params, targets: Targets, n: int, today: dt.date,
                 people: PeoplePool) -> Batch:
    """n events for one transaction: new rows for the four tables and valid moves of open ones.

    `today` is the stream clock's date: new pacientes are born at least a day before it. Names, phones and
    addresses come from `people`.
    """
    is_insert, entity = plan(rng, n, params.oltp.stream, targets)
    per_kind = np.bincount(entity * 2 + is_insert, minlength=2 * len(ENTITIES)).tolist()
    count = {(e, ins): per_kind[2 * i + ins] for i, e in enumerate(ENTITIES) for ins in (True, False)}
    payload: dict = {}
    picked: dict[str, np.ndarray] = {}

    k = count["pacientes", True]
    if k:
        cols = people.take(k)
        cols["cpf"] = people.cpfs(targets.last_paciente + 1 + np.arange(k))
        born = np.datetime64(today, "D") - (_ages_days(rng, k) + 1).astype("timedelta64[D]")
        cols["data_nascimento"] = born.astype(str)
        payload["pacientes"] = _rows({c: cols[c].tolist() for c in
                                      ("cpf", "nome", "sexo", "data_nascimento", "telefone", "endereco")})
    pac = targets.pacientes
    k = count["consultas", True]
    if k:
        payload["consultas"] = _rows({
            "paciente_id": pac[rng.integers(0, len(pac), k)].tolist(),
            "medico_id": targets.medicos[rng.integers(0, len(targets.medicos), k)].tolist(),
            "minutos": rng.integers(*_BOOKING_MINUTES, k).tolist()})
    k = count["exames", True]
    if k:
        payload["exames"] = _rows({"paciente_id": pac[rng.integers(0, len(pac), k)].tolist(),
                                   "tipo": _choice(rng, EXAMES, k).tolist()})
    k = count["internacoes", True]
    if k:
        payload["internacoes"] = _rows({"paciente_id": pac[rng.integers(0, len(pac), k)].tolist(),
                                        "motivo": _choice(rng, MOTIVOS, k).tolist()})

    k = count["pacientes", False]
    if k:
        pos = picked["pacientes"] = _pick(rng, len(pac), k)
        phone = rng.random(k) < _STREAM_UPDATE_TELEFONE
        fresh = people.take(k)
        telefone = np.where(phone, fresh["telefone"], None)
        endereco = np.where(phone, None, fresh["endereco"])
        payload["pacientes_upd"] = _rows({"id": pac[pos].tolist(), "telefone": telefone.tolist(),
                                          "endereco": endereco.tolist()})
    k = count["consultas", False]
    if k:
        pos = picked["consultas"] = _pick(rng, len(targets.consultas), k)
        payload["consultas_upd"] = _rows({"id": targets.consultas[pos].tolist(),
                                          "status": _choice(rng, STATUS_FINAL, k).tolist()})
    k = count["exames", False]
    if k:
        pos = picked["exames"] = _pick(rng, len(targets.exames), k)
        u = rng.random(k)
        payload["exames_upd"] = _rows({
            "id": targets.exames[pos].tolist(),
            "normal": np.where(u < ABNORMAL_SHARE, "Alterado", "Normal").tolist(),
            "qualitativo": np.where(u < POSITIVE_SHARE, "Positivo", "Negativo").tolist()})
        payload["tipos_qualitativos"] = list(QUALITATIVE)
    k = count["internacoes", False]
    if k:
        pos = picked["internacoes"] = _pick(rng, len(targets.internacoes), k)
        payload["internacoes_upd"] = _rows({"id": targets.internacoes[pos].tolist()})
    return Batch(is_insert, entity, payload, picked)
