"""The region as arrays: hospitals, their bed slots and the routing tables, derived from params alone."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hospsim import config
from hospsim.config import WARD_TYPES, Params
from hospsim.daily.tables import (
    ED,
    GENERAL,
    HANDOFF_MIN,
    ROAD_FACTOR,
    SOFT_FALLBACK,
    SPEC,
    SPECIALTIES,
    TRANSFER_SPEED_KMH,
    WARD,
    WARD_CODES,
    W,
)
from hospsim.geo import haversine_km
from hospsim.rules import Rules


@dataclass(frozen=True)
class Layout:
    """Hospitals, their bed slots and the routing tables, derived from params alone."""
    hospital_ids: np.ndarray        # (H,) str
    beds: np.ndarray                # (H, W) beds per hospital and ward type
    rural: np.ndarray               # (H,) bool
    lat: np.ndarray
    lon: np.ndarray
    distance_km: np.ndarray         # (H, H) road km
    travel_s: np.ndarray            # (H, H) transfer drive seconds
    slot_hospital: np.ndarray       # (B,) every bed in hospital, ward, number order
    slot_ward: np.ndarray
    slot_label: np.ndarray          # 'H01-ICU-07'
    candidates: np.ndarray          # (H, W, S, 3, H) hospitals to try, nearest first, -1 padded
    region_ward: np.ndarray         # (W,) ward type used when the region has none of the asked type
    origin_ward: np.ndarray         # (H, W) ward type used at a hospital lacking a soft type
    ed_hospital: np.ndarray         # (H,) where a hospital's people go for the ED
    offers: np.ndarray              # (H, S) specialty offered
    slot_surge: np.ndarray          # (B,) a surge bed, open only on a day its hospital is crowded (after the others)
    referral: np.ndarray            # (H,) beds another region's hospital holds for this region's referrals

    @property
    def n_hospitals(self) -> int:
        return len(self.hospital_ids)


def layout(params: Params, rules: Rules | None = None) -> Layout:
    hospitals = params.region.hospitals
    H = len(hospitals)
    beds = np.zeros((H, W), dtype=np.int64)
    first_bed = np.ones((H, W), dtype=np.int64)
    offers = np.zeros((H, len(SPECIALTIES) + 1), dtype=bool)
    for h, hosp in enumerate(hospitals):
        for ward in hosp.wards:
            beds[h, WARD[ward.type]] = ward.beds
            first_bed[h, WARD[ward.type]] = ward.first_bed
        for s in hosp.specialties:
            if s in SPEC:
                offers[h, SPEC[s]] = True
    lat = np.array([h.lat for h in hospitals])
    lon = np.array([h.lon for h in hospitals])
    dist = np.round(haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :]) * ROAD_FACTOR, 1)
    travel = np.round((dist / TRANSFER_SPEED_KMH * 60 + HANDOFF_MIN) * 60).astype(np.int64)
    np.fill_diagonal(travel, 0)
    has = beds > 0
    ed_has = np.flatnonzero(has[:, ED])
    # People go to the nearest emergency ward; a region without one still sees them at their own hospital.
    ed_hospital = np.array([h if has[h, ED] or not ed_has.size else ed_has[np.argmin(dist[h, ed_has])]
                            for h in range(H)])
    ids = np.array([h.id for h in hospitals])
    referral = np.array([h.referral for h in hospitals])
    surge = np.ceil(beds * (rules or config.clinical_rules(params)).surge_beds_share).astype(np.int64) \
        * (np.arange(W) != ED) * ~referral[:, None]      # held beds never surge: their hospital's ED is elsewhere
    slots = [_bed_slots(ids, n, first, tag) for n, first, tag in ((beds, first_bed, ""), (surge, 1, "S"))]
    slot_h, slot_w, label = (np.concatenate(parts) for parts in zip(*slots))
    return Layout(ids, beds, np.array([h.rural for h in hospitals]), lat, lon, dist, travel, slot_h, slot_w,
                  label, _candidates(dist, has, offers), _region_ward(beds), _origin_ward(has), ed_hospital, offers,
                  np.arange(slot_h.size) >= slots[0][0].size, referral)


def _region_ward(beds: np.ndarray) -> np.ndarray:
    """The ward type to use for each asked type when no hospital of the region has it."""
    in_region = (beds > 0).any(axis=0)
    inpatient_sizes = beds.sum(axis=0) * (np.arange(W) != ED)
    region_ward = np.arange(W)
    for w in range(W):
        target = WARD_TYPES[w]
        while target in SOFT_FALLBACK and not in_region[WARD[target]]:
            target = SOFT_FALLBACK[target]
        if w != ED and not in_region[WARD[target]]:
            target = GENERAL if in_region[WARD[GENERAL]] else WARD_TYPES[int(np.argmax(inpatient_sizes))]
        region_ward[w] = WARD[target]
    return region_ward


def _origin_ward(has: np.ndarray) -> np.ndarray:
    """Per hospital, the lower level of care that stands in for a soft ward type it lacks."""
    H = has.shape[0]
    origin_ward = np.tile(np.arange(W), (H, 1))
    for h in range(H):
        for name in SOFT_FALLBACK:
            w = WARD[name]
            while not has[h, origin_ward[h, w]] and origin_ward[h, w] != WARD[GENERAL]:
                nxt = WARD[SOFT_FALLBACK.get(WARD_TYPES[origin_ward[h, w]], GENERAL)]
                origin_ward[h, w] = nxt
            if not has[h, origin_ward[h, w]]:
                origin_ward[h, w] = w
    return origin_ward


def _candidates(dist: np.ndarray, has: np.ndarray, offers: np.ndarray) -> np.ndarray:
    """(H, W, S, mode, H): the hospitals a request tries in turn, nearest first, -1 padded.

    Modes: home first, then the nearest others; another hospital (offering the specialty first); home only.
    """
    H, S = has.shape[0], len(SPECIALTIES) + 1
    cand = np.full((H, W, S, 3, H), -1, dtype=np.int64)
    for h in range(H):
        order = np.lexsort((np.arange(H), dist[h]))
        for w in range(W):
            with_ward = order[has[order, w]]
            home_first = np.concatenate([[h], with_ward[with_ward != h]]) if has[h, w] else with_ward
            away = with_ward[with_ward != h]
            for s in range(S):
                away_s = away[np.argsort(~offers[away, s], kind="stable")] if s else away
                lists = (home_first, away_s if away_s.size else home_first, home_first[:1])
                for mode, lst in enumerate(lists):
                    cand[h, w, s, mode, :lst.size] = lst
    return cand


def _bed_slots(ids: np.ndarray, beds: np.ndarray, first: np.ndarray | int = 1, tag: str = ""
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every bed as a slot: its hospital, its ward type and its label ('H01-ICU-07'; a surge bed 'H01-ICU-S1'),
    numbered per ward from its first bed (held beds follow their hospital's own: hospsim.regions)."""
    H = beds.shape[0]
    slot_h = np.repeat(np.arange(H), beds.sum(axis=1))
    slot_w = np.concatenate([np.repeat(np.arange(W), beds[h]) for h in range(H)]) if H else np.zeros(0, int)
    group = slot_h * W + slot_w
    start = np.searchsorted(group, group, side="left")
    number = np.arange(group.size) - start + np.broadcast_to(first, beds.shape)[slot_h, slot_w]
    codes = np.array([WARD_CODES[t] for t in WARD_TYPES])
    number = np.char.zfill(number.astype(str), 2) if not tag else np.char.add(tag, number.astype(str))
    return slot_h, slot_w, _cat(ids[slot_h], "-", codes[slot_w], "-", number)


def _cat(*parts) -> np.ndarray:
    out = np.asarray(parts[0]).astype(str)
    for p in parts[1:]:
        out = np.char.add(out, np.asarray(p).astype(str))
    return out
