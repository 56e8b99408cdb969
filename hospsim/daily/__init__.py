"""One simulated day, pure: ED visits, admissions against bed capacity, transfers, ambulance transports, census.

`simulate_day(params, day, people, state)` draws only from `rng.generator(params.seed, stage, day)` (stages
"daily", "overload", "returns") and reads only the state carried in from the day before (who lies in which bed
until when, who boards in an ED, who is due to come back), so any
day can be recomputed alone. The day is a pipeline of phases (day.py), each a function of the frozen
DayContext (context.py) and the earlier phases' results: arrivals (with the returns due today), disposition,
overload, requests, placement, admissions/transfers, boarding, visits, transports, discharges, census, and the
returns drawn for tomorrow and later (returns.py). Everything runs over whole arrays of the
day's patients; the only loops are over hospitals, wards and transfer rounds. Nothing here reads or writes files:
the orchestrator (hospsim.simulate) stores the state.

Times are whole seconds since 1970-01-01 (naive local time) in int64 arrays until the frames are built.
"""
from hospsim.daily.cohort import Cohort, prepare
from hospsim.daily.day import simulate_day
from hospsim.daily.placement import first_come_first_served
from hospsim.daily.region import Layout, layout
from hospsim.daily.schema import COLUMNS
from hospsim.daily.state import CensusState, DayResult
from hospsim.daily.tables import DISPOSITIONS, LOS_MAX_DAYS, LOS_MIN_DAYS, REASONS, TRIAGE_COLORS, WARD_CODES

__all__ = ["COLUMNS", "DISPOSITIONS", "LOS_MAX_DAYS", "LOS_MIN_DAYS", "REASONS", "TRIAGE_COLORS",
           "WARD_CODES", "CensusState", "Cohort", "DayResult", "Layout", "first_come_first_served",
           "layout", "prepare", "simulate_day"]
