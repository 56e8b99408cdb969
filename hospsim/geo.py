"""Distances on the globe: one Earth radius and one great-circle formula for every stage."""
from __future__ import annotations

import numpy as np

EARTH_RADIUS_KM = 6371.0088             # the mean radius (IUGG)
KM_PER_DEGREE_LAT = np.pi * EARTH_RADIUS_KM / 180


def haversine_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle km between points in degrees; broadcasts like numpy."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(np.radians(np.subtract(lon2, lon1)) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(a))


def nearest(lat, lon, to_lat, to_lon) -> np.ndarray:
    """Index of the nearest of the points (to_lat, to_lon) by great-circle distance (the first one on ties)."""
    best = np.zeros(np.shape(lat), dtype=np.intp)
    best_d = np.full(np.shape(lat), np.inf)
    for i in range(len(to_lat)):     # a loop over the few targets, not the many points
        d = haversine_km(lat, lon, to_lat[i], to_lon[i])
        closer = d < best_d
        best[closer], best_d[closer] = i, d[closer]
    return best
