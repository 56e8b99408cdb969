"""World mode of the OLTP simulator (oltp.source: world): the hospital system of the run's own region.

Its seven tables hold the run's people, physicians and insurance, and change when the simulated world does:
a paciente is registered at their first contact with a hospital, an ED visit books a consulta at arrival and
makes it realizada at departure, ordering exames whose results come later, and an admission opens an
internacao whose data_saida is set at discharge. Each discharge also books a follow-up consulta 7-14 days
later (oltp.world), which on its day ends realizada, faltou or cancelada. Ids are derived from the world (see LIVE_CONTRACT in the
notes): pacientes.id = person_id + 1, medicos.id = the number in the staff id, and a visit's or admission's
id = hospital number * 10**14 + yyyymmdd * 10**6 + its sequence. So a day's changes can be applied again
from any point without doubles, and a change read back from Debezium names the simulated event.

day_changes is pure: a day's frames in, its changes out, in the order they happen. Each day opens with the
reference rows (convenios, the physicians on staff) and every contact carries its paciente's INSERT; the
Applier's INSERT ... ON CONFLICT DO NOTHING keeps only the first, so any day can be applied on its own.
Changes caused by a day's events (a departure, a result) may fall a few hours after its midnight.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Self

import numpy as np
import pandas as pd

from hospsim import documents, filekinds, rng, sqlfiles
from hospsim.daily.tables import DISPOSITIONS
from hospsim.errors import OltpError
from hospsim.oltp import generate, schema

CHANGE_COLUMNS = ["sim_time", "table", "op", "id", "row"]
HOSPITAL_BASE = 10**14
DAY_BASE = 10**6
_EVENT_ID = re.compile(r"^([AV])(\d{8})-(\d{1,6})$")
_HOSPITAL_ID = re.compile(r"^H(\d{1,5})$")
_CRM = re.compile(r"^[0-9]{4,6}[A-Z]{2}$")
_CPF = re.compile(r"^[0-9]{3}\.[0-9]{3}\.[0-9]{3}-[0-9]{2}$")

MOTIVOS = {  # an ED admission's motivo from its visit's reason (ICD-10 chapter wording)
    "respiratory": "Doença do aparelho respiratório", "cardiac": "Doença do aparelho circulatório",
    "trauma": "Lesão por trauma", "abdominal": "Dor abdominal", "fever": "Febre a esclarecer",
    "neurological": "Doença do sistema nervoso", "obstetric": "Gravidez, parto e puerpério",
    "psychiatric": "Transtorno mental", "urinary": "Doença do aparelho urinário",
    "metabolic": "Doença endócrina e metabólica", "oncology": "Neoplasia", "other": "Outras causas",
}
PANELS = {  # the exames an ED orders for a complaint, most important first
    "respiratory": ("Raio-X de tórax", "Hemograma completo", "RT-PCR SARS-CoV-2"),
    "cardiac": ("Eletrocardiograma", "Troponina", "Raio-X de tórax"),
    "trauma": ("Raio-X de extremidade", "Tomografia de crânio", "Hemograma completo"),
    "abdominal": ("Ultrassonografia abdominal", "Hemograma completo", "Urina tipo I"),
    "fever": ("Hemograma completo", "Teste rápido de dengue NS1", "Urina tipo I"),
    "neurological": ("Tomografia de crânio", "Glicemia capilar", "Eletrocardiograma"),
    "obstetric": ("Beta-HCG", "Ultrassonografia obstétrica", "Hemograma completo"),
    "psychiatric": ("Glicemia capilar", "Exame toxicológico", "Hemograma completo"),
    "urinary": ("Urina tipo I", "Creatinina", "Hemograma completo"),
    "metabolic": ("Glicemia capilar", "Creatinina", "Gasometria arterial"),
    "oncology": ("Hemograma completo", "Creatinina", "Raio-X de tórax"),
    "other": ("Hemograma completo", "Urina tipo I", "Eletrocardiograma"),
}
EXAMS_BY_TRIAGE = (3, 3, 2, 1, 0)
"""Assumption: workup grows with acuity. Triage 1-2 get the complaint's whole panel, 3 its first two exames,
4 one, 5 (non-urgent) none; overall about 1.3 exames a visit, in line with most ED visits getting some test."""
TURNAROUND_MINUTES = {"Eletrocardiograma": 10, "Glicemia capilar": 5, "Gasometria arterial": 20,
                      "Teste rápido de dengue NS1": 30, "Raio-X de tórax": 45, "Raio-X de extremidade": 45,
                      "Tomografia de crânio": 60, "Ultrassonografia abdominal": 60,
                      "Ultrassonografia obstétrica": 60, "RT-PCR SARS-CoV-2": 240}
LAB_TURNAROUND_MINUTES = 90
"""Anything not listed: a central-lab result about an hour and a half after the order."""
QUALITATIVE = (*generate.QUALITATIVE, "Exame toxicológico")
CONVENIO_TIPO = "Medicina de Grupo"
CNPJ_BASE = 70_000_000
"""Convenios' CNPJ indexes: above the standalone simulator's range (documents.NAMESPACE scaled to 10**8)."""
INSERT_COLUMNS = {
    "pacientes": ("id", "cpf", "nome", "sexo", "data_nascimento", "telefone", "endereco", "data_cadastro"),
    "medicos": ("id", "crm", "nome", "especialidade"),
    "convenios": ("id", "cnpj", "nome", "tipo", "cobertura"),
    "pacientes_convenios": ("id", "paciente_id", "convenio_id", "numero_carteira", "data_adesao"),
    "consultas": ("id", "paciente_id", "medico_id", "data_consulta", "status"),
    "exames": ("id", "paciente_id", "tipo", "data_exame", "resultado", "data_resultado"),
    "internacoes": ("id", "paciente_id", "data_entrada", "data_saida", "motivo"),
}
FOLLOWUP_BASE = 50_000 * HOSPITAL_BASE
"""A follow-up consulta's id: its admission's internacao id + 5 * 10**18, so above every ED consulta's id
(hospital * 10**14 + ...) while hospitals number under 42,000 (a bigint ends at 9.2 * 10**18)."""
CLINIC_SLOTS = pd.timedelta_range("08:00:00", "16:30:00", freq="30min")
SLOT = pd.Timedelta(minutes=30)
"""Assumption: a clinic books 30-minute slots from 08:00 to 17:00; the status moves at the slot's end."""
FOLLOWUP_COLUMNS = ["id", "person_id", "hospital_id", "ward", "booked", "data_consulta", "status", "moved"]
UPDATE_COLUMNS = {"consultas": ("status",), "exames": ("resultado", "data_resultado"),
                  "internacoes": ("data_saida",)}
"""What an UPDATE of world mode moves; each moves a row once (the guards are in sql/oltp/world.sql)."""

UNSEEN = DISPOSITIONS[-1]
"""An ED visit that left without being seen (hospsim.daily.overload): its consulta ends faltou."""


# --------------------------------------------------------------------------------------------- ids


def event_id(event: str, hospital_id: str) -> int:
    """A visit's or admission's row id: hospital number * 10**14 + yyyymmdd * 10**6 + sequence."""
    m, h = _EVENT_ID.match(str(event)), _HOSPITAL_ID.match(str(hospital_id))
    if not m or not h:
        raise OltpError(f"{event!r} at {hospital_id!r}: world mode needs ids like A20250210-000012 or "
                        "V20250210-000012 and hospitals like H01")
    return int(h.group(1)) * HOSPITAL_BASE + int(m.group(2)) * DAY_BASE + int(m.group(3))


def internacao_id(admission_id: str, hospital_id: str) -> int:
    """internacoes.id of an admission of the run (A<yyyymmdd>-<seq> at H<no>)."""
    if not str(admission_id).startswith("A"):
        raise OltpError(f"{admission_id!r} is not an admission id (A<yyyymmdd>-<seq>)")
    return event_id(admission_id, hospital_id)


def admission_of(internacao: int) -> tuple[str, str]:
    """(admission_id, hospital_id) of a world-mode internacoes.id: the inverse of internacao_id."""
    hospital, rest = divmod(int(internacao), HOSPITAL_BASE)
    day, seq = divmod(rest, DAY_BASE)
    if hospital < 1 or seq < 1 or not 19000101 <= day <= 99991231:
        raise OltpError(f"internacao {internacao} is not a world-mode id (hospital * 10**14 + yyyymmdd * 10**6 + seq)")
    return f"A{day:08d}-{seq:06d}", f"H{hospital:02d}"


def followup_id(admission_id: str, hospital_id: str) -> int:
    """consultas.id of the follow-up an admission's discharge books (FOLLOWUP_BASE)."""
    iid = internacao_id(admission_id, hospital_id)
    if iid >= FOLLOWUP_BASE:
        raise OltpError(f"hospital {hospital_id!r}: world mode's follow-up ids need hospital numbers under 42000")
    return FOLLOWUP_BASE + iid


def paciente_id(person_id: int) -> int:
    return int(person_id) + 1


def medico_id(staff_id: str) -> int:
    return int(str(staff_id).lstrip("S"))


def stamp(value) -> str:
    """A naive simulated time as the TIMESTAMPTZ of the same wall-clock digits in UTC."""
    return pd.Timestamp(value).strftime("%Y-%m-%d %H:%M:%S+00")


# --------------------------------------------------------------------------------------------- the cast


@dataclass(frozen=True)
class World:
    """What day_changes needs from the run's setup, indexed for lookups."""
    people: pd.DataFrame        # index person_id; the pacientes columns and convenio_id (0 = none)
    medicos: pd.DataFrame       # id, crm, nome, especialidade, hospital_id, ward, hire_date
    convenios: pd.DataFrame     # id, cnpj, nome, tipo, cobertura, plan
    start: dt.date              # the run's first day: admissions before it were made in the warm-up


def prepare(params, setup) -> World:
    """The World of a simulate.Setup (people_data.csv and staff_data.csv of the run)."""
    people = setup.people
    staff = setup.staff[filekinds.BY_KIND["staff"].name] if isinstance(setup.staff, dict) else setup.staff
    bad = ~people["national_id"].astype(str).str.match(_CPF)
    if bad.any():
        raise OltpError(f"{int(bad.sum())} national ids are not CPFs (e.g. {people['national_id'][bad].iloc[0]!r}); "
                        "world mode needs locale pt_BR")
    convenios = _convenios(params)
    return World(_pacientes(people, convenios), _medicos(staff), convenios, params.simulation.start_date)


def _pacientes(people: pd.DataFrame, convenios: pd.DataFrame) -> pd.DataFrame:
    """People (people_data.csv's columns) as the pacientes columns, indexed by person_id."""
    plan_ids = dict(zip(convenios["plan"], convenios["id"]))
    return pd.DataFrame({
        "cpf": people["national_id"].astype(str).to_numpy(), "nome": people["name"].to_numpy(),
        "sexo": people["sex"].to_numpy(),
        "data_nascimento": pd.to_datetime(people["birth_date"]).dt.strftime("%Y-%m-%d").to_numpy(),
        "telefone": people["phone"].fillna("").to_numpy(), "endereco": people["address"].fillna("").to_numpy(),
        "convenio_id": people["insurance"].map(plan_ids).fillna(0).astype("int64").to_numpy(),
    }, index=people["person_id"].astype("int64").to_numpy())


def with_births(world: World, births: pd.DataFrame | None) -> World:
    """The world with newborns (births_<date>.csv rows) among its people: like anyone else they become
    pacientes at their first contact, on a later day."""
    if births is None or not len(births):
        return world
    rows = _pacientes(births, world.convenios)
    rows = rows[~rows.index.isin(world.people.index)]
    return dataclasses.replace(world, people=pd.concat([world.people, rows])) if len(rows) else world


def _convenios(params) -> pd.DataFrame:
    """The locale's private plans (ANS operators). The public plan (SUS) is not a convenio: its patients have
    no pacientes_convenios row, as a Brazilian hospital bills SUS through the AIH, not a carteira."""
    ins = next(i for i in params.population.insurance if i.locale == params.locale)
    g = rng.generator(params.seed, "oltp_world_convenios")
    n = len(ins.private_plans)
    ids = np.arange(1, n + 1)
    coberturas = list(generate.CONVENIO_COBERTURAS)
    weights = np.array(list(generate.CONVENIO_COBERTURAS.values()))
    return pd.DataFrame({
        "id": ids, "cnpj": documents.cnpj(CNPJ_BASE + ids, params.seed).astype(object),
        "nome": list(ins.private_plans), "tipo": CONVENIO_TIPO,
        "cobertura": [coberturas[i] for i in g.choice(len(coberturas), n, p=weights / weights.sum())],
        "plan": list(ins.private_plans)})


def _medicos(staff: pd.DataFrame) -> pd.DataFrame:
    doctors = staff[staff["role"] == "physician"]
    crm = doctors["registration"].astype(str)
    bad = ~crm.str.match(_CRM)
    if bad.any():
        raise OltpError(f"physician registrations {sorted(crm[bad])[:5]} do not fit the CRM check "
                        "^[0-9]{4,6}[A-Z]{2}$ of sql/oltp/01_schema.sql")
    return pd.DataFrame({
        "id": [medico_id(s) for s in doctors["staff_id"]], "crm": crm.to_numpy(), "nome": doctors["name"].to_numpy(),
        "especialidade": doctors["specialty"].fillna("clinical_medicine").to_numpy(),
        "hospital_id": doctors["hospital_id"].to_numpy(), "ward": doctors["ward"].to_numpy(),
        "hire_date": pd.to_datetime(doctors["hire_date"]).dt.date.to_numpy()}).drop_duplicates("id")


# --------------------------------------------------------------------------------------------- a day


class _Changes:
    """Changes collected in causal order; sorted by time at the end (stable: a paciente before their rows)."""

    def __init__(self, world: World) -> None:
        self.world, self.rows = world, []

    def add(self, when, table: str, op: str, row: dict) -> None:
        self.rows.append((pd.Timestamp(when), table, op, int(row["id"]), row))

    def paciente(self, when, person_id: int) -> int:
        """The paciente's registration (and carteira) at a contact; only the first contact's is kept."""
        p = self.world.people.loc[int(person_id)]
        pid, at = paciente_id(person_id), stamp(when)
        self.add(when, "pacientes", "INSERT", {
            "id": pid, "cpf": p["cpf"], "nome": p["nome"], "sexo": p["sexo"], "data_nascimento": p["data_nascimento"],
            "telefone": p["telefone"], "endereco": p["endereco"], "data_cadastro": at})
        if p["convenio_id"]:
            self.add(when, "pacientes_convenios", "INSERT", {
                "id": pid, "paciente_id": pid, "convenio_id": int(p["convenio_id"]),
                "numero_carteira": f"{int(p['convenio_id']):03d}{pid:013d}", "data_adesao": at[:10]})
        return pid

    def frame(self) -> pd.DataFrame:
        df = pd.DataFrame(self.rows, columns=CHANGE_COLUMNS)
        df["sim_time"] = pd.to_datetime(df["sim_time"]).astype("datetime64[s]")
        df["id"] = df["id"].astype("int64")
        return df.sort_values("sim_time", kind="stable", ignore_index=True)


def day_changes(params, setup, day_frames: dict[str, pd.DataFrame], day: dt.date | None = None,
                booked: pd.DataFrame | None = None) -> pd.DataFrame:
    """The OLTP changes of one simulated day: columns sim_time, table, op, id, row (a dict), in time order.

    `setup` is a World (prepare) or a simulate.Setup; `day_frames` holds the day's visitors, admissions and
    discharges (and census, whose date names the day unless `day` does); `booked` the follow-ups earlier
    days booked (followups), whose status moves today if they are due today."""
    world = setup if isinstance(setup, World) else prepare(params, setup)
    day = day or _day_of(day_frames)
    out = _Changes(world)
    staff = _reference_rows(out, pd.Timestamp(day), day)
    visitors = day_frames.get("visitors", pd.DataFrame())
    _visits(out, visitors, staff, rng.generator(params.seed, "oltp_world_exames", day))
    reasons = dict(zip(visitors.get("visit_id", ()), visitors.get("reason", ())))
    _admissions(out, day_frames.get("admissions", pd.DataFrame()), reasons)
    discharges = day_frames.get("discharges", pd.DataFrame())
    _discharges(out, discharges)
    _book(out, followups(params, discharges, day), _physician_picker(staff))
    if booked is not None:
        for f in booked[booked["data_consulta"].dt.date == day].itertuples(index=False):
            out.add(f.moved, "consultas", "UPDATE", {"id": int(f.id), "status": f.status})
    return out.frame()


def followups(params, discharges: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    """The follow-up consulta each of `day`'s discharges books (FOLLOWUP_COLUMNS): booked at the discharge, due
    oltp.world.followup_min_days to _max_days later in a clinic slot, and what it ends as. Drawn from the
    day's own stream, so the booking day and the appointment day compute the same appointments."""
    if discharges.empty:
        return pd.DataFrame({c: pd.Series(dtype="datetime64[s]" if c in ("booked", "data_consulta", "moved")
                                          else object) for c in FOLLOWUP_COLUMNS})
    w, n = params.oltp.world, len(discharges)
    g = rng.generator(params.seed, "oltp_world_followup", day)
    offset = g.integers(w.followup_min_days, w.followup_max_days + 1, n)
    slot = g.integers(0, len(CLINIC_SLOTS), n)
    u = g.random(n)
    status = np.where(u < w.followup_no_show, "faltou",
                      np.where(u < w.followup_no_show + w.followup_cancelled, "cancelada", "realizada"))
    due = (pd.Timestamp(day) + pd.to_timedelta(offset, unit="D") + CLINIC_SLOTS[slot]).astype("datetime64[s]")
    return pd.DataFrame({
        "id": np.array([followup_id(a, h) for a, h in zip(discharges["admission_id"], discharges["hospital_id"])],
                       dtype="int64"),
        "person_id": discharges["person_id"].to_numpy(), "hospital_id": discharges["hospital_id"].to_numpy(),
        "ward": discharges["ward"].to_numpy(), "booked": discharges["discharge_time"].to_numpy(),
        "data_consulta": due, "status": status, "moved": due + SLOT})


def _book(out: _Changes, booked: pd.DataFrame, pick: Callable[..., int]) -> None:
    """Each follow-up's consulta, agendada at the discharge, with a physician of the discharging ward."""
    for f in booked.itertuples(index=False):
        pid = out.paciente(f.booked, f.person_id)
        out.add(f.booked, "consultas", "INSERT", {
            "id": int(f.id), "paciente_id": pid, "medico_id": pick(f.hospital_id, int(f.id), f.ward),
            "data_consulta": stamp(f.data_consulta), "status": "agendada"})


def booked_due(params, files_dir, day: dt.date, cache: dict | None = None) -> pd.DataFrame:
    """Edge: the follow-ups due on `day`, from the run's discharge files of the days they can be booked on.
    Follow-ups booked in the warm-up (before the run's first day) are left out: its days have no files.
    `cache` (day -> followups) spares reading a day again."""
    from hospsim import simulate
    w, cache = params.oltp.world, {} if cache is None else cache
    frames = []
    for back in range(w.followup_min_days, w.followup_max_days + 1):
        earlier = day - dt.timedelta(days=back)
        if earlier < params.simulation.start_date:
            continue
        if earlier not in cache:
            cache[earlier] = followups(params, simulate.read_days(files_dir, [earlier])["discharges"], earlier)
        frames.append(cache[earlier])
    return pd.concat(frames, ignore_index=True) if frames else followups(params, pd.DataFrame(), day)


def _reference_rows(out: _Changes, when: pd.Timestamp, day: dt.date) -> pd.DataFrame:
    """The convenios and the physicians on staff on `day`, at `when`; returns those physicians."""
    for c in out.world.convenios.itertuples(index=False):
        out.add(when, "convenios", "INSERT", {k: getattr(c, k) if k != "id" else int(c.id)
                                              for k in INSERT_COLUMNS["convenios"]})
    staff = out.world.medicos[out.world.medicos["hire_date"] <= day]
    for m in staff.itertuples(index=False):
        out.add(when, "medicos", "INSERT", {k: getattr(m, k) if k != "id" else int(m.id)
                                            for k in INSERT_COLUMNS["medicos"]})
    return staff


def _day_of(frames: dict[str, pd.DataFrame]) -> dt.date:
    census = frames.get("census")
    if census is not None and len(census):
        return pd.Timestamp(census["date"].iloc[0]).date()
    raise OltpError("day_changes: the day's frames have no census to date them; pass day=")


def _visits(out: _Changes, visitors: pd.DataFrame, staff: pd.DataFrame, g: np.random.Generator) -> None:
    """A consulta booked at arrival, realizada at departure (faltou when the patient left without being seen,
    with no exames); exames ordered during the stay, results later."""
    if visitors.empty:
        return
    pick = _physician_picker(staff)
    ordered = []
    for v in visitors.itertuples(index=False):
        cid = event_id(v.visit_id, v.hospital_id)
        pid = out.paciente(v.arrival_time, v.person_id)
        out.add(v.arrival_time, "consultas", "INSERT", {
            "id": cid, "paciente_id": pid, "medico_id": pick(v.hospital_id, cid), "data_consulta": stamp(v.arrival_time),
            "status": "agendada"})
        stay = (v.departure_time - v.arrival_time) if pd.notna(v.departure_time) else pd.Timedelta(hours=2)
        seen = v.disposition != UNSEEN
        panel = PANELS.get(v.reason, PANELS["other"])[:EXAMS_BY_TRIAGE[int(v.triage) - 1] if seen else 0]
        for k, tipo in enumerate(panel):
            at = (v.arrival_time + stay * (k + 1) / (len(panel) + 2)).floor("s")
            ordered.append((cid * 10 + k, pid, tipo, at))
        if pd.notna(v.departure_time):
            out.add(v.departure_time, "consultas", "UPDATE", {"id": cid, "status": "realizada" if seen else "faltou"})
    results = generate.results(g, np.array([t for _, _, t, _ in ordered], dtype=object))
    for (xid, pid, tipo, at), result in zip(ordered, results):
        out.add(at, "exames", "INSERT", {"id": xid, "paciente_id": pid, "tipo": tipo, "data_exame": stamp(at),
                                         "resultado": "Pendente", "data_resultado": None})
        ready = at + pd.Timedelta(minutes=TURNAROUND_MINUTES.get(tipo, LAB_TURNAROUND_MINUTES))
        if tipo == "Exame toxicológico":
            result = "Positivo" if result in ("Positivo", "Alterado") else "Negativo"
        out.add(ready, "exames", "UPDATE", {"id": xid, "resultado": result, "data_resultado": stamp(ready)})


def _physician_picker(staff: pd.DataFrame) -> Callable[[str, int], int]:
    """The consulta's physician: one of the hospital's physicians of the ward (ED by default; else any of its
    physicians), spread by id."""
    pools = {h: sorted(g["id"]) for h, g in staff.groupby(["hospital_id", "ward"])}
    anyone = {h: sorted(g["id"]) for h, g in staff.groupby("hospital_id")}
    everyone = sorted(staff["id"])

    def pick(hospital_id: str, consulta: int, ward: str = "emergency") -> int:
        pool = pools.get((hospital_id, ward)) or anyone.get(hospital_id) or everyone
        if not pool:
            raise OltpError("the run has no physician on staff yet: a consulta needs a medico")
        return int(pool[consulta % len(pool)])
    return pick


def _admissions(out: _Changes, admissions: pd.DataFrame, reasons: dict) -> None:
    for a in admissions.itertuples(index=False):
        pid = out.paciente(a.admit_time, a.person_id)
        reason = reasons.get(a.visit_id) if isinstance(a.visit_id, str) else None
        motivo = MOTIVOS.get(reason) if reason else f"Internação {'eletiva' if a.type == 'elective' else 'de urgência'}"
        out.add(a.admit_time, "internacoes", "INSERT", {
            "id": internacao_id(a.admission_id, a.hospital_id), "paciente_id": pid,
            "data_entrada": stamp(a.admit_time), "data_saida": None, "motivo": f"{motivo} ({a.ward})"})


def _discharges(out: _Changes, discharges: pd.DataFrame) -> None:
    """data_saida at the discharge. An admission of the warm-up (before the run's first day) is registered
    first, at the discharge, with its true data_entrada, unless opening_changes already did (then the INSERT
    changes nothing): so a day applied on its own still closes its stays."""
    for d in discharges.itertuples(index=False):
        iid = internacao_id(d.admission_id, d.hospital_id)
        if pd.Timestamp(d.admit_time).date() < out.world.start:
            pid = out.paciente(d.discharge_time, d.person_id)
            out.add(d.discharge_time, "internacoes", "INSERT", {
                "id": iid, "paciente_id": pid, "data_entrada": stamp(d.admit_time), "data_saida": None,
                "motivo": f"Internação ({d.ward})"})
        out.add(d.discharge_time, "internacoes", "UPDATE", {"id": iid, "data_saida": stamp(d.discharge_time)})


def beds_at_start(params, setup) -> pd.DataFrame:
    """Who lies in a bed the night before the run's first day (the warm-up's end state, simulated again from
    the setup, as the daily loop does): admission_id, person_id, hospital_id, ward, admit_time."""
    from hospsim import daily, simulate
    from hospsim.daily.region import layout
    from hospsim.daily.tables import WARD_NAMES
    cohort = daily.prepare(params, setup.population_with_illnesses)
    state = simulate.warm_up(params, cohort)
    lay = layout(params)
    slot = np.flatnonzero(state.bed_person >= 0)
    return pd.DataFrame({
        "admission_id": state.bed_admission[slot].astype(str), "person_id": cohort.person_id[state.bed_person[slot]],
        "hospital_id": lay.hospital_ids[lay.slot_hospital[slot]], "ward": WARD_NAMES[lay.slot_ward[slot]],
        "admit_time": state.bed_admit[slot].astype("datetime64[s]")})


def opening_changes(params, setup, beds: pd.DataFrame) -> pd.DataFrame:
    """The hospital system as the run finds it: its plans and physicians, and the patients in beds at its start
    (beds_at_start) registered with their internacoes open, each at its admit time. Columns of day_changes."""
    world = setup if isinstance(setup, World) else prepare(params, setup)
    out = _Changes(world)
    first = beds["admit_time"].min() if len(beds) else pd.Timestamp(world.start)
    _reference_rows(out, pd.Timestamp(first), world.start - dt.timedelta(days=1))
    for b in beds.sort_values(["admit_time", "admission_id"]).itertuples(index=False):
        pid = out.paciente(b.admit_time, b.person_id)
        out.add(b.admit_time, "internacoes", "INSERT", {
            "id": internacao_id(b.admission_id, b.hospital_id), "paciente_id": pid,
            "data_entrada": stamp(b.admit_time), "data_saida": None, "motivo": f"Internação ({b.ward})"})
    return out.frame()


def mix(counts: Counter | pd.DataFrame) -> pd.DataFrame:
    """Rows per table and op (the INSERT/UPDATE mix) with each one's share: of an Applier's counts (rows really
    changed) or of a changes frame (rows offered, repeated registrations included)."""
    if isinstance(counts, pd.DataFrame):
        counts = Counter(zip(counts["table"], counts["op"]))
    df = pd.DataFrame([(t, op, n) for (t, op), n in sorted(counts.items())], columns=["table", "op", "rows"])
    df["share"] = (df["rows"] / max(int(df["rows"].sum()), 1)).round(4)
    return df


# --------------------------------------------------------------------------------------------- applying


class Applier:
    """Applies slices of day_changes frames to the OLTP tables, one transaction per slice, idempotently: an
    INSERT of an id that is there and an UPDATE already made change nothing, so a resumed run may apply a
    day again from any point. Consecutive changes of one table and op go in one statement."""

    def __init__(self, params, pg_info=None) -> None:
        self.params, self.pg_info, self.conn = params, pg_info, None
        self.applied: Counter = Counter()   # (table, op) -> rows really changed, over this Applier's life

    def apply(self, changes: pd.DataFrame) -> Counter:
        """Apply the rows of `changes` in their order; returns the rows changed per (table, op)."""
        from psycopg2.extras import execute_values
        done: Counter = Counter()
        if changes.empty:
            return done
        if self.conn is None or self.conn.closed:
            self.conn = schema.connect(self.params, self.pg_info)
        runs = (changes["table"] + "/" + changes["op"]).ne((changes["table"] + "/" + changes["op"]).shift()).cumsum()
        with self.conn, self.conn.cursor() as cur:
            for _, run in changes.groupby(runs, sort=False):
                table, op = run["table"].iloc[0], run["op"].iloc[0]
                columns = INSERT_COLUMNS[table] if op == "INSERT" else ("id", *UPDATE_COLUMNS[table])
                values = [tuple(row[c] for c in columns) for row in run["row"]]
                changed = execute_values(cur, self._statement(table, op, columns), values, page_size=1000, fetch=True)
                done[(table, op)] += len(changed)
        self.applied.update(done)
        return done

    def _statement(self, table: str, op: str, columns: tuple[str, ...]) -> str:
        o = self.params.oltp
        if op == "INSERT":
            return schema.render(sqlfiles.query("oltp/world.sql", "insert_rows"), {
                "table": f"{schema.ident(o.schema)}.{schema.ident(table)}",
                "columns": ", ".join(schema.ident(c) for c in columns)})
        return schema.render(sqlfiles.query("oltp/world.sql", f"update_{table}"), schema.tokens(self.params))

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@dataclass
class Report:
    """What run_days changed, in the shape of the standalone stream's report (counts, events, summary)."""
    applied: Counter
    seconds: float

    @property
    def counts(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for (table, op), n in sorted(self.applied.items()):
            out.setdefault(table, {})[op] = n
        return out

    @property
    def events(self) -> int:
        return sum(self.applied.values())

    def summary(self) -> str:
        ins = sum(n for (_, op), n in self.applied.items() if op == "INSERT")
        return (f"world mode: {self.events:,} rows changed by the run's days in {self.seconds:.2f} s "
                f"({ins:,} INSERT, {self.events - ins:,} UPDATE)")


def run_days(params, pg_info=None, *, progress: Callable[[dt.date, Counter], None] | None = None) -> Counter:
    """`hospsim oltp world`: the patients in beds at the run's start, then the current run's days, applied in
    order as fast as possible (the schema is created if missing). Returns the rows changed per (table, op)."""
    from hospsim import run as runs
    from hospsim import simulate
    the_run = runs.open_run(params)
    done = the_run.step(simulate.DAYS_STEP).get("days_done", 0)
    if not done:
        raise runs.StepNotRun(f"run {the_run.id} has no simulated day yet: `hospsim simulate` (or notebooks "
                              "00_setup and 01_daily_loop) first")
    schema.init(params, pg_info)
    setup = simulate.read_setup(the_run)
    world = prepare(params, setup)
    with Applier(params, pg_info) as applier:
        applier.apply(opening_changes(params, world, beds_at_start(params, setup)))
        cache: dict = {}
        for day in simulate.dates(params)[:done]:
            frames = simulate.read_days(the_run.files_dir, [day])
            world = with_births(world, frames.get("births"))
            booked = booked_due(params, the_run.files_dir, day, cache)
            changed = applier.apply(day_changes(params, world, frames, day, booked))
            if progress is not None:
                progress(day, changed)
        return applier.applied
