"""The ward-type registry: its checks, and a ward type added in one file that flows through every stage."""
from __future__ import annotations

import os
from contextlib import closing

import pandas as pd
import pytest
import yaml

from hospsim import config, wards
from hospsim.errors import ConfigError
from tests.conftest import hospsim_cli, own_database, small_params

BURN_UNIT = {"code": "BRN", "los_factor": 1.6, "specialties": ["plastic_surgery"], "care_level": "semi_intensive",
             "admits": {"reasons": ["trauma"], "triage": [2, 3], "rank": 7}}


def _registry_with(tmp_path, **extra) -> str:
    tree = yaml.safe_load(wards.REGISTRY_FILE.read_text(encoding="utf-8")) | extra
    path = tmp_path / "ward_types.yaml"
    path.write_text(yaml.safe_dump(tree, sort_keys=False))
    return str(path)


def test_the_shipped_registry_is_every_ward_type_in_order():
    assert config.WARD_TYPES == ("emergency", "icu", "step_down", "med_surg", "telemetry", "pediatrics",
                                 "maternity", "psychiatry")
    assert config.WARDS["icu"].code == "ICU" and config.WARDS["telemetry"].fallback == "step_down"
    assert (config.WARDS["icu"].care_level, config.WARDS["med_surg"].care_level) == ("intensive", "intermediate")


@pytest.mark.parametrize(("change", "message"), [
    ({"icu": {"code": "ICU"}}, "icu: give code, los_factor, specialties and care_level"),
    ({"icu": {**BURN_UNIT, "care_level": "critical"}}, "icu.care_level = 'critical': use one of minimal, "),
    ({"telemetry": {**BURN_UNIT, "fallback": "coronary"}}, "telemetry.fallback = 'coronary': not a ward type"),
    ({"icu": {**BURN_UNIT, "admits": {"triage": [1], "age": 3}}}, "icu.admits: use only"),
    ({"icu": {**BURN_UNIT, "admits": {"default": True}}}, "exactly one ward type needs admits: {default: true}"),
])
def test_a_bad_registry_names_the_ward_and_the_key(tmp_path, change, message):
    with pytest.raises(ConfigError, match=message.replace("{", r"\{").replace("}", r"\}")):
        wards.load(_registry_with(tmp_path, **change))


@pytest.mark.services
def test_a_new_ward_type_in_the_registry_flows_to_files_events_stream_and_warehouse(tmp_path, pg, pg_admin):
    """burn_unit, added to a copy of ward_types.yaml (and given beds and a nurse ratio in the params), is
    simulated, streamed and loaded with no other change anywhere."""
    name = "wards_test"
    db = own_database(pg, pg_admin, name)
    tree = small_params(tmp_path, db, {"kafka.enabled": False, "simulation.population": 20_000,
                                       "simulation.days": 14, "simulation.warmup_days": 3}).to_dict()
    tree["region"]["hospitals"][0]["wards"].append({"type": "burn_unit", "beds": 8})
    tree["workforce"]["nurse_ratios"]["burn_unit"] = 2.0
    tree["vital"]["hospital"]["by_ward"]["burn_unit"] = 0.1      # deaths at discharge (params vital)
    tree["workforce"]["staffing_rule"] = "california"      # dim_ward.nurse_ratio is then this ratio
    params_path = tmp_path / "p.yaml"
    params_path.write_text(yaml.safe_dump(tree, allow_unicode=True, sort_keys=False))
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root"),
           config.WARD_TYPES_ENV: _registry_with(tmp_path, burn_unit=BURN_UNIT)}

    hospsim_cli(env, "simulate", "-f", str(params_path), "--no-progress")
    hospsim_cli(env, "stream", "produce", "-f", str(params_path), "--json")
    hospsim_cli(env, "ingest", "-f", str(params_path))

    processed = tmp_path / "data" / "processed"
    admissions = pd.concat(pd.read_csv(f) for f in sorted(processed.rglob("admissions_*.csv")))
    census = pd.concat(pd.read_csv(f) for f in sorted(processed.rglob("census_*.csv")))
    assert (admissions["ward"] == "burn_unit").sum() > 0, "trauma patients of triage 2-3 are sent to the burn unit"
    assert admissions.loc[admissions["ward"] == "burn_unit", "bed"].str.contains("-BRN-").all()
    assert set(census.loc[census["ward"] == "burn_unit", "beds"]) == {8}
    with closing(db.connect()) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM stream.admissions WHERE ward = 'burn_unit'")
        streamed = cur.fetchone()[0]
        schema = tree["warehouse"]["schema"]
        cur.execute(f"SELECT count(*) FROM {schema}.fact_admission a JOIN {schema}.dim_ward w "
                    "USING (hospital_id, ward) WHERE w.ward = 'burn_unit' AND w.beds = 8 AND w.nurse_ratio = 2")
        loaded = cur.fetchone()[0]
    assert streamed == loaded == (admissions["ward"] == "burn_unit").sum()
