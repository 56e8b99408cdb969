"""One great-circle distance and one nearest-point rule for every stage."""
from __future__ import annotations

import numpy as np

from hospsim import geo


def test_haversine_matches_known_distances_and_broadcasts():
    assert np.isclose(geo.haversine_km(0.0, 0.0, 1.0, 0.0), geo.KM_PER_DEGREE_LAT)
    # Sao Paulo (Se) to Rio de Janeiro (Centro): about 361 km in a straight line.
    assert 355 < geo.haversine_km(-23.5505, -46.6333, -22.9068, -43.1729) < 365
    d = geo.haversine_km(np.array([0.0, 10.0])[:, None], 0.0, np.array([0.0, 10.0])[None, :], 0.0)
    assert d.shape == (2, 2) and np.allclose(np.diag(d), 0) and np.isclose(d[0, 1], d[1, 0])


def test_nearest_takes_the_closest_and_the_first_on_ties():
    to_lat, to_lon = np.array([0.0, 0.0, 1.0]), np.array([-1.0, 1.0, 0.0])
    got = geo.nearest(np.array([0.0, 0.0, 0.9]), np.array([-0.8, 0.0, 0.0]), to_lat, to_lon)
    assert got.tolist() == [0, 0, 2]      # (0, 0) is as far from targets 0 and 1: the first wins
