"""One day as a pipeline of named phases over a frozen day context."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hospsim.config import Params
from hospsim.daily import lifecycle, vital
from hospsim.daily.admissions import Admitted, Transfers, admissions, transfers
from hospsim.daily.arrivals import Arrivals, arrivals
from hospsim.daily.boarding import Boarding, boarding
from hospsim.daily.census import census
from hospsim.daily.cohort import Cohort, prepare
from hospsim.daily.context import DayContext
from hospsim.daily.discharges import Beds, discharges
from hospsim.daily.disposition import Disposition, disposition
from hospsim.daily.overload import overload
from hospsim.daily.placement import Placement, placement
from hospsim.daily.requests import Requests, requests
from hospsim.daily.returns import schedule
from hospsim.daily.state import CensusState, DayResult
from hospsim.daily.transports import transports
from hospsim.daily.visits import Visits, visits


@dataclass(frozen=True)
class Phases:
    """Every phase's result for one day, in pipeline order."""
    arrivals: Arrivals
    disposition: Disposition
    requests: Requests
    placement: Placement
    admissions: Admitted
    transfers: Transfers
    boarding: Boarding
    visits: Visits
    transports: pd.DataFrame
    discharges: Beds
    census: pd.DataFrame
    births: pd.DataFrame
    deaths: pd.DataFrame
    vital: dict
    returns: dict           # the returns carried into tomorrow (state.RETURN_FIELDS)


def run_phases(ctx: DayContext) -> Phases:
    """The day's phases in order. They draw from the day's one stream in this order (arrivals, disposition,
    requests, transports); overload, returns, births and deaths draw from streams of their own; the others draw
    nothing. Reordering the draws changes every later number of the day."""
    labour = lifecycle.births(ctx)
    arr = lifecycle.with_deliveries(ctx, arrivals(ctx), labour)
    decided = disposition(ctx, arr)
    arr, disp = overload(ctx, arr, decided)
    disp = lifecycle.admit_deliveries(arr, disp, labour, decided)
    req = requests(ctx, arr, disp)
    placed = placement(ctx, req)
    adm = admissions(ctx, req, placed)
    moves = transfers(ctx, req, placed, adm)
    board = boarding(ctx, req, placed)
    seen = visits(ctx, arr, disp, req, placed)
    trips = transports(ctx, arr, disp)
    beds = discharges(ctx, req, placed, adm)
    counts = census(ctx, arr, req, placed, adm, moves, board, seen, beds)
    busy = np.concatenate([beds.person[beds.person >= 0], board.queue["person"], board.carried["person"]])
    born, dead, vital = lifecycle.close_day(ctx, labour, arr, lifecycle.deliveries(ctx, arr, disp, req, placed, adm),
                                            seen, beds, busy)
    home = np.flatnonzero(seen.disposition == "discharged")
    ahead = schedule(ctx, beds.who, beds.left_at, beds.frame["length_of_stay_days"].to_numpy(),
                     arr.who[home], seen.departure[home].astype(np.int64), arr.reason[home])
    return Phases(arr, disp, req, placed, adm, moves, board, seen, trips, beds, counts, born, dead, vital, ahead)


def simulate_day(params: Params, day: dt.date, people: pd.DataFrame | Cohort,
                 state: CensusState) -> tuple[DayResult, CensusState]:
    """One day: draws from the day's own seed stream, reads the carried state, returns frames and the new state."""
    cohort = people if isinstance(people, Cohort) else prepare(params, people)
    cohort = vital.grown(cohort, state.vital, params)
    p = run_phases(DayContext.of(params, day, cohort, state))
    beds = p.discharges
    after = CensusState(day, beds.person, beds.admission, beds.admit, beds.discharge, p.boarding.queue,
                        state.fingerprint, p.vital, p.returns, p.boarding.carried)
    return DayResult(day, p.visits.frame, p.admissions.frame, beds.frame, p.transfers.frame, p.transports,
                     p.census, p.births, p.deaths), after

