"""The daily loop's constants: ward codes, complaint labels, specialties, geography. The clinical shape tables
(weekday, hour, complaint, triage, disposition, stay, calendar) are data: hospsim/params/clinical, via
hospsim.rules, reached in a day as ctx.rules."""
from __future__ import annotations

import numpy as np

from hospsim.config import STAY_DAYS, WARD_TYPES, WARDS
from hospsim.rules import REASONS

DAY_S = 86_400
NEVER = np.int64(-(2**62))          # availability of a bed that is empty since before the run
ROAD_FACTOR = 1.3                   # road distance / straight-line distance in a metropolitan area

# The ward types and what each one is: hospsim/ward_types.yaml, the one registry.
WARD_CODES = {w.name: w.code for w in WARDS.wards}
W = len(WARD_TYPES)
WARD = {name: i for i, name in enumerate(WARD_TYPES)}
ED = WARD["emergency"]
GENERAL = next(w.name for w in WARDS.wards if w.admits is not None and w.admits.default)   # med_surg
# A ward a hospital lacks is replaced by a lower level of care there instead of a transfer.
SOFT_FALLBACK = {w.name: w.fallback for w in WARDS.wards if w.fallback is not None}
ADMIT_RULES = tuple(sorted((w for w in WARDS.wards if w.admits is not None and not w.admits.default),
                           key=lambda w: w.admits.rank))   # lowest rank first: a later rule that holds wins

R = {name: i for i, name in enumerate(REASONS)}
TRIAGE_COLORS = np.array(["red", "orange", "yellow", "green", "blue"])
SPECIALTIES = ("cardiology", "oncology", "neurology", "trauma", "obstetrics", "pediatrics", "psychiatry")
SPEC = {name: i + 1 for i, name in enumerate(SPECIALTIES)}   # 0 = none needed
REASON_SPECIALTY = np.array([0, SPEC["cardiology"], SPEC["trauma"], 0, 0, SPEC["neurology"], SPEC["obstetrics"],
                             SPEC["psychiatry"], 0, 0, SPEC["oncology"], 0])
# Mean stay by ward relative to simulation.mean_length_of_stay_days; about 1 over a typical admission mix.
LOS_FACTOR = {w.name: w.los_factor for w in WARDS.wards}
LOS_MIN_DAYS, LOS_MAX_DAYS = STAY_DAYS
TRANSFER_SPEED_KMH, HANDOFF_MIN = 45.0, 10.0
AMBULANCE_SPEED_KMH = np.array([60.0, 50.0, 40.0])   # by priority 1..3, lights and sirens to none
MODE_HOME, MODE_AWAY, MODE_ONLY = 0, 1, 2              # home-first / another hospital / home only (electives)
CALIBRATION_VISITS = 20_000

WARD_NAMES = np.array(WARD_TYPES)
REASON_NAMES = np.array(REASONS)

# How an ED visit ends (the visitors file's disposition; the warehouse's CHECK lists the same values).
DISPOSITIONS = ("discharged", "admitted", "transferred", "left_without_being_seen")
