"""A state of health regions, expanded from a few numbers (the params' `state:` section) into one Params per region.

Brazil's SUS organizes care in health regions and most transfers stay inside one, so a region is the unit of
scale: each is an ordinary single-region world that hospsim.simulate runs unchanged. Everything here is pure
and keyed by the region's number, so a region's params (and so its files) do not depend on which worker runs
it, or when, or how many regions run beside it.

- Sizes: log-normal shares (sd state.size_spread) of state.people (one person each first), by largest remainder.
- Seed: each region's seed is drawn from hospsim.rng.generator(seed, "state.region", i): its own stream.
- Hospitals: max(1, round(people x hospitals_per_100k / 100k)) per region, each with the `region:` section's
  beds per person for every ward type (at least one bed of each type the template has), its specialties
  cycled from the template's hospitals, placed within half a radius of the region's centre.
- Geography: region centres on a square grid, two radii apart, around the template hospitals' centre.
- Folders: region i lands in <data_dir>/regions/<slug>/ (batch/, processed/, run.json: a data folder of its
  own, so every per-region tool runs on it unchanged); the runs share runs_dir (their ids differ by name).

- Transfers across regions (state.cross_region_transfers): as SUS's bed pacts (PPI) do, the biggest region's
  first hospital holds a share of its beds for the other regions' referrals, each region's part its own to fill
  (with_referral_beds). A region whose own beds are full transfers there, through the bed search it already
  has, so the regions stay independent: no region waits for another, and the bytes stay the same on any
  number of workers. Off, each region transfers inside itself, as one region does.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hospsim import geo, rng
from hospsim.config import Hospital, Params, Region, Ward
from hospsim.errors import ConfigError
from hospsim.states import STATES

SIZE_STAGE, SEED_STAGE, PLACE_STAGE = "state.sizes", "state.region", "state.place"
HUB_HOSPITAL = 0        # the hub region's hospital that holds beds for the others (its first)
REGIONS_FOLDER = "regions"


@dataclass(frozen=True)
class HealthRegion:
    """One region of the state: its number, folder name and the params that simulate it alone."""
    index: int
    slug: str
    params: Params

    @property
    def data_dir(self) -> Path:
        return self.params.dirs.data_dir


def is_state(params: Params) -> bool:
    return params.state.regions > 0


def slug(index: int) -> str:
    return f"region-{index:03d}"


def sizes(params: Params) -> np.ndarray:
    """The regions' head counts: log-normal shares of state.people, summing to it exactly (largest remainder)."""
    n, people = params.state.regions, params.state.people
    if people < n:
        raise ConfigError([(f"state.people = {people} is fewer than state.regions = {n}: every region needs "
                            "a person; raise state.people or lower state.regions")])
    weights = rng.generator(params.seed, SIZE_STAGE).lognormal(0.0, params.state.size_spread, n)
    return 1 + _split(people - n, weights)


def region_seed(params: Params, index: int) -> int:
    return int(rng.generator(params.seed, SEED_STAGE, index).integers(0, 2**62))


def expand(params: Params) -> list[HealthRegion]:
    """Every region of the state as its own single-region Params (state.regions = 0 in each)."""
    if not is_state(params):
        raise ConfigError([("state.regions is 0: these params describe one region; give state.regions >= 1 "
                            "(params/state.yaml) to simulate a state")])
    counts = sizes(params)
    centres = _centres(params)
    hospitals = [_hospitals(params, i, int(counts[i - 1]), centres[i - 1]) for i in range(1, params.state.regions + 1)]
    if params.state.cross_region_transfers:
        hospitals = with_referral_beds(hospitals, counts, params.state.referral_beds_share)
    return [_region(params, i, int(counts[i - 1]), hospitals[i - 1]) for i in range(1, params.state.regions + 1)]


def with_referral_beds(hospitals: list[tuple[Hospital, ...]], counts: np.ndarray, share: float
                       ) -> list[tuple[Hospital, ...]]:
    """The regions' hospitals once the biggest region's first hospital holds `share` of its beds of each
    inpatient type for the others' referrals, split by their people (largest remainder). Each other region
    gets those beds as a referral hospital of its own (the hub's id, numbered after the hub's own beds), the
    last of its hospitals: it simulates them, so every bed still has one region that fills it, and a region's
    files still depend on its params alone."""
    hub = int(np.argmax(counts))
    first = hospitals[hub][HUB_HOSPITAL]
    others = np.array([i for i in range(len(hospitals)) if i != hub], dtype=np.int64)
    held: dict[str, np.ndarray] = {}
    for ward in first.wards:
        if ward.type == "emergency" or others.size == 0:
            continue
        total = min(round(share * ward.beds), ward.beds - 1)      # it keeps a bed of its own
        held[ward.type] = _split(total, counts[others])
    out = list(hospitals)
    own = {w.type: w.beds - (held[w.type].sum() if w.type in held else 0) for w in first.wards}
    out[hub] = tuple(dataclasses.replace(first, wards=tuple(Ward(w.type, int(own[w.type])) for w in first.wards))
                     if h is first else h for h in hospitals[hub])
    for k, region in enumerate(others):
        wards = tuple(Ward(t, int(q[k]), first_bed=int(own[t] + q[:k].sum() + 1)) for t, q in held.items() if q[k])
        if wards:
            out[region] = (*hospitals[region], dataclasses.replace(
                first, name=f"{first.name} (beds held for region {region + 1:03d})", wards=wards, referral=True))
    return out


def _split(total: int, weights: np.ndarray) -> np.ndarray:
    """total split in proportion to weights, summing to it exactly (largest remainder, the first on ties)."""
    exact = total * weights / weights.sum()
    out = np.floor(exact).astype(np.int64)
    out[np.argsort(-(exact - out), kind="stable")[:total - int(out.sum())]] += 1
    return out


def _area_code(template: Region, index: int) -> int | None:
    """The regions of a state take its phone area codes (DDD) in turn, the capital's first; a locale without
    states keeps the template's."""
    state = STATES.get(template.state)
    return template.area_code if state is None else state.area_codes[(index - 1) % len(state.area_codes)]


def _hospitals(params: Params, index: int, people: int, centre: tuple[float, float]) -> tuple[Hospital, ...]:
    n_hosp = max(1, round(people * params.state.hospitals_per_100k / 100_000))
    place = rng.generator(params.seed, PLACE_STAGE, index)
    return tuple(_hospital(params, index, h, n_hosp, people, centre, place) for h in range(n_hosp))


def _region(params: Params, index: int, people: int, hospitals: tuple[Hospital, ...]) -> HealthRegion:
    template = params.region
    region = dataclasses.replace(template, name=f"{template.name} {index:03d}", hospitals=hospitals,
                                 area_code=_area_code(template, index))
    paths = dataclasses.replace(params.paths, data_dir=params.dirs.data_dir / REGIONS_FOLDER / slug(index),
                                runs_dir=params.dirs.runs_dir)
    one = dataclasses.replace(
        params, seed=region_seed(params, index), region=region, paths=paths,
        simulation=dataclasses.replace(params.simulation, population=people),
        state=dataclasses.replace(params.state, regions=0))
    return HealthRegion(index, slug(index), one)


def _hospital(params: Params, index: int, h: int, n_hosp: int, people: int, centre: tuple[float, float],
              place: np.random.Generator) -> Hospital:
    """Hospital h of a region: the template's beds per person split over the region's hospitals."""
    template = params.region.hospitals
    like = template[h % len(template)]
    per_person = _beds_per_person(params)
    wards = tuple(Ward(type=t, beds=max(1, round(rate * people / n_hosp))) for t, rate in per_person.items())
    r = params.region.radius_km / 2 * math.sqrt(place.random())
    theta = place.random() * 2 * math.pi
    lat = centre[0] + r * math.sin(theta) / geo.KM_PER_DEGREE_LAT
    lon = centre[1] + r * math.cos(theta) / (geo.KM_PER_DEGREE_LAT * math.cos(math.radians(centre[0])))
    return Hospital(id=f"R{index:03d}H{h + 1:02d}", name=f"{like.name} {index:03d}-{h + 1}", city=like.city,
                    lat=round(lat, 6), lon=round(lon, 6), wards=wards, specialties=like.specialties,
                    rural=like.rural)


def _beds_per_person(params: Params) -> dict[str, float]:
    """The `region:` section's beds of each ward type per person of simulation.population."""
    beds: dict[str, int] = {}
    for hospital in params.region.hospitals:
        for ward in hospital.wards:
            beds[ward.type] = beds.get(ward.type, 0) + ward.beds
    return {t: b / params.simulation.population for t, b in beds.items()}


def _centres(params: Params) -> list[tuple[float, float]]:
    """Region centres on a square grid two radii apart, around the template hospitals' mean position."""
    hospitals = params.region.hospitals
    lat0 = sum(h.lat for h in hospitals) / len(hospitals)
    lon0 = sum(h.lon for h in hospitals) / len(hospitals)
    side = math.ceil(math.sqrt(params.state.regions))
    step_lat = 2 * params.region.radius_km / geo.KM_PER_DEGREE_LAT
    step_lon = step_lat / math.cos(math.radians(lat0))
    out = []
    for i in range(params.state.regions):
        row, col = divmod(i, side)
        out.append((round(lat0 + (row - (side - 1) / 2) * step_lat, 6),
                    round(lon0 + (col - (side - 1) / 2) * step_lon, 6)))
    return out
