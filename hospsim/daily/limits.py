"""The overload tables (hospsim/params/clinical/overload.yaml), read once: the region's surge beds and the
day's overload phase both use them."""
from __future__ import annotations

from hospsim.daily import rulefile

T = rulefile.load("overload", {
    "lwbs_base": rulefile.SCALAR, "lwbs_by_crowding": rulefile.SCALAR, "lwbs_max": rulefile.SCALAR,
    "lwbs_min_triage": rulefile.SCALAR, "lwbs_stay_share": 2, "diversion_boarders_per_place": rulefile.SCALAR,
    "boarding_cap_per_place": rulefile.SCALAR, "released_after_hours": rulefile.SCALAR,
    "surge_boarders_per_place": rulefile.SCALAR, "surge_beds_share": rulefile.SCALAR})
