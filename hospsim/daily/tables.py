"""The daily loop's shape tables and constants: rates, shares and factors with their sources, ward codes."""
from __future__ import annotations

import numpy as np

from hospsim.config import STAY_DAYS, WARD_TYPES, WARDS

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

# Busiest working day ~124% of the daily mean, weekly day off ~70% (PMC10980504); Monday..Sunday, mean 1.
DOW_FACTOR = np.array([1.24, 1.08, 1.02, 1.00, 0.98, 0.98, 0.70])
# ED arrivals by hour: bimodal, peaks 10-13 h and 19-20 h, 12% between 00:00 and 07:00 (NHAMCS 2006; PMC6656946).
HOURLY_SHARE = np.array([0.025, 0.020, 0.017, 0.015, 0.014, 0.014, 0.015, 0.030, 0.045, 0.055, 0.065, 0.068,
                         0.064, 0.056, 0.050, 0.048, 0.048, 0.050, 0.055, 0.062, 0.060, 0.050, 0.042, 0.032])
# Respiratory season: day of year of the peak and the months that count as season / off-season.
SEASON_PEAK_DOY = {"south": 152, "north": 1}     # Brazil Apr-Jul (Fiocruz); CDC: late Dec, high to Feb
SEASON_MONTHS = {"south": ((4, 5, 6, 7), (11, 12, 1, 2)), "north": ((12, 1, 2), (6, 7, 8))}

REASONS = ("respiratory", "cardiac", "trauma", "abdominal", "fever", "neurological", "obstetric", "psychiatric",
           "urinary", "metabolic", "oncology", "other")
R = {name: i for i, name in enumerate(REASONS)}
# Chief complaint by age group (child < 15, adult, elderly >= 65); obstetric is drawn separately for women 15-49.
REASON_BY_AGE = np.array([
    # resp  card  trau  abdo  fever neuro obst  psych urin  metab onco  other
    [0.25, 0.01, 0.22, 0.12, 0.25, 0.03, 0.00, 0.02, 0.04, 0.00, 0.00, 0.06],
    [0.11, 0.07, 0.20, 0.18, 0.08, 0.06, 0.00, 0.05, 0.08, 0.02, 0.00, 0.15],
    [0.16, 0.16, 0.14, 0.14, 0.06, 0.10, 0.00, 0.02, 0.09, 0.03, 0.00, 0.10],
])
OBSTETRIC_SHARE = 0.12          # of ED visits by women aged 15-49
# An illness profile makes its own complaint likely: condition -> (reason, probability it is the visit's reason).
CONDITION_REASON = {"asthma_copd": ("respiratory", 0.45), "heart_failure": ("cardiac", 0.50),
                    "hypertension": ("cardiac", 0.10), "diabetes": ("metabolic", 0.20),
                    "kidney_disease": ("urinary", 0.30), "cancer": ("oncology", 0.40)}
# Manchester-like triage 1 (red) .. 5 (blue), by reason.
TRIAGE_BY_REASON = np.array([
    [0.010, 0.100, 0.350, 0.420, 0.120],   # respiratory
    [0.040, 0.260, 0.400, 0.240, 0.060],   # cardiac
    [0.020, 0.100, 0.300, 0.430, 0.150],   # trauma
    [0.010, 0.080, 0.400, 0.410, 0.100],   # abdominal
    [0.005, 0.050, 0.300, 0.480, 0.165],   # fever
    [0.050, 0.220, 0.380, 0.280, 0.070],   # neurological
    [0.020, 0.150, 0.450, 0.300, 0.080],   # obstetric
    [0.010, 0.100, 0.350, 0.400, 0.140],   # psychiatric
    [0.005, 0.050, 0.350, 0.460, 0.135],   # urinary
    [0.020, 0.120, 0.400, 0.360, 0.100],   # metabolic
    [0.030, 0.200, 0.450, 0.270, 0.050],   # oncology
    [0.005, 0.050, 0.300, 0.450, 0.195],   # other
])
TRIAGE_COLORS = np.array(["red", "orange", "yellow", "green", "blue"])
ELDERLY_UPTRIAGE = 0.25         # chance an elderly patient is triaged one level more urgent
ADMIT_BY_TRIAGE = np.array([8.0, 3.0, 1.2, 0.35, 0.08])
ADMIT_BY_REASON = np.array([1.0, 1.3, 0.8, 1.0, 0.5, 1.3, 5.0, 1.0, 0.8, 1.0, 1.5, 0.7])
TRANSFER_BY_TRIAGE = np.array([4.0, 2.5, 1.0, 0.3, 0.1])
AMBULANCE_BY_TRIAGE = np.array([0.8, 0.45, 0.15, 0.05, 0.02])
SPECIALTY_MISSING_FACTOR = 3.0  # a visit needing a specialty its hospital lacks is more often transferred
RURAL_TRANSFER_FACTOR = 2.0     # ~3% rural vs ~1.5% overall (HCUP SB155)
SPECIALTIES = ("cardiology", "oncology", "neurology", "trauma", "obstetrics", "pediatrics", "psychiatry")
SPEC = {name: i + 1 for i, name in enumerate(SPECIALTIES)}   # 0 = none needed
REASON_SPECIALTY = np.array([0, SPEC["cardiology"], SPEC["trauma"], 0, 0, SPEC["neurology"], SPEC["obstetrics"],
                             SPEC["psychiatry"], 0, 0, SPEC["oncology"], 0])
# Mean stay by ward relative to simulation.mean_length_of_stay_days; about 1 over a typical admission mix.
LOS_FACTOR = {w.name: w.los_factor for w in WARDS.wards}
LOS_SIGMA = 0.75                # lognormal shape: a long right tail of complicated stays
LOS_MIN_DAYS, LOS_MAX_DAYS = STAY_DAYS
ELECTIVE_LOS_FACTOR = 0.95
ED_STAY_MEDIAN_H, ED_STAY_SIGMA, ED_ADMIT_EXTRA_H = 2.5, 0.6, 2.0
TRANSFER_WAIT_MEDIAN_MIN, TRANSFER_SPEED_KMH, HANDOFF_MIN = 60.0, 45.0, 10.0
AMBULANCE_SPEED_KMH = np.array([60.0, 50.0, 40.0])   # by priority 1..3, lights and sirens to none
MODE_HOME, MODE_AWAY, MODE_ONLY = 0, 1, 2              # home-first / another hospital / home only (electives)
CALIBRATION_VISITS = 20_000

WARD_NAMES = np.array(WARD_TYPES)
REASON_NAMES = np.array(REASONS)

# How an ED visit ends (the visitors file's disposition; the warehouse's CHECK lists the same values).
DISPOSITIONS = ("discharged", "admitted", "transferred", "left_without_being_seen")
