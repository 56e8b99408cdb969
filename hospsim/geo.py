"""Distances on the globe: one Earth radius and one great-circle formula for every stage."""
from __future__ import annotations

import numpy as np

EARTH_RADIUS_KM = 6371.0
KM_PER_DEGREE_LAT = np.pi * EARTH_RADIUS_KM / 180


def haversine_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle km between points in degrees; broadcasts like numpy."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(np.radians(np.subtract(lon2, lon1)) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(a))
