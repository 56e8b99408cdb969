"""The clinical tables load typed and checked; a bad file is refused naming its file, table and fix."""
from __future__ import annotations

import shutil

import numpy as np
import pytest
import yaml

from hospsim import config, rules
from hospsim.errors import ConfigError


@pytest.fixture()
def folder(tmp_path):
    """A copy of the shipped clinical folder to spoil."""
    return shutil.copytree(rules.FOLDER, tmp_path / "clinical")


def spoil(folder, file, table, **changes):
    path = folder / file
    tree = yaml.safe_load(path.read_text())
    tree[table].update(changes)
    path.write_text(yaml.safe_dump(tree, sort_keys=False))


def problems(folder) -> list[str]:
    with pytest.raises(ConfigError) as e:
        rules.load(folder)
    return e.value.problems


def test_the_shipped_tables_load_with_a_source_each_and_shares_summing_to_one():
    r = rules.load()
    assert set(r.sources) == {s.name for s in rules.SPECS} and all(r.sources.values())
    assert r.hourly_share.shape == (24,) and abs(r.hourly_share.sum() - 1) < 1e-9
    assert r.reason_by_age.shape == (3, len(rules.REASONS))
    np.testing.assert_allclose(r.triage_by_reason.sum(axis=1), 1)
    assert r.dow_factor[0] == 1.24 and r.dow_factor[6] == 0.70      # Monday the busiest, Sunday the day off
    assert not r.hourly_share.flags.writeable


def test_shares_that_do_not_sum_to_one_are_refused_naming_file_table_and_fix(folder):
    spoil(folder, "arrivals.yaml", "hourly_share", values=[0.05] * 24)
    [problem] = problems(folder)
    assert "arrivals.yaml: table hourly_share" in problem and "sum to 1.2" in problem and "make them sum to 1" in problem


def test_negative_values_wrong_shapes_missing_sources_and_unknown_tables_are_all_reported(folder):
    spoil(folder, "disposition.yaml", "admit_by_triage", values=[8.0, 3.0, -1.2, 0.35, 0.08])
    spoil(folder, "triage.yaml", "triage_by_reason", values={"respiratory": [1.0]})
    spoil(folder, "stay.yaml", "los_sigma", source="")
    path = folder / "calendar.yaml"
    path.write_text(path.read_text() + "\nholiday_typo: {source: x, values: 1}\n")
    found = "\n".join(problems(folder))
    assert "disposition.yaml: table admit_by_triage: value 3 is -1.2; it must be at least 0" in found
    assert "triage.yaml: table triage_by_reason: values must map exactly these rows" in found
    assert "stay.yaml: table los_sigma: source: is empty" in found
    assert "calendar.yaml: table holiday_typo is not a clinical table" in found


def test_columns_may_come_in_any_order_and_a_missing_file_names_the_shipped_one(folder):
    path = folder / "arrivals.yaml"
    tree = yaml.safe_load(path.read_text())
    table = tree["reason_by_age"]
    table["columns"] = table["columns"][::-1]
    table["values"] = {row: values[::-1] for row, values in table["values"].items()}
    path.write_text(yaml.safe_dump(tree, sort_keys=False))
    np.testing.assert_array_equal(rules.load(folder).reason_by_age, rules.load().reason_by_age)
    (folder / "stay.yaml").unlink()
    [problem] = problems(folder)
    assert "stay.yaml: missing; copy it from" in problem


def test_params_name_another_folder_its_digest_joins_the_fingerprint_and_its_problems_the_params(folder, tmp_path):
    base = config.load("workshop.yaml")
    same = config.with_overrides(base, {"clinical.dir": str(folder)})
    assert config.world_fingerprint(same) == config.world_fingerprint(base)   # same tables, same world
    spoil(folder, "stay.yaml", "los_sigma", values=0.8)
    assert config.world_fingerprint(same) != config.world_fingerprint(base)
    spoil(folder, "stay.yaml", "los_sigma", values="wide")
    with pytest.raises(ConfigError, match="stay.yaml: table los_sigma: the value is 'wide'; write a number"):
        config.with_overrides(base, {"clinical.dir": str(folder)})


def test_the_returns_and_overload_tables_are_checked_like_the_others_and_join_the_digest(folder):
    r = rules.load()
    assert r.readmission_by_condition["heart_failure"] == 1.6 and r.readmission_age_bands.tolist() == [0, 18, 65, 80]
    assert r.lwbs_stay_share.tolist() == [0.3, 0.9] and r.boarding_cap_per_place == 2.0
    spoil(folder, "overload.yaml", "boarding_cap_per_place", values=3.0)
    assert rules.load(folder).digest != r.digest, "the overload tables are part of the world"
    spoil(folder, "returns.yaml", "readmission_age_bands", values=[0, 65, 18, 80])
    spoil(folder, "returns.yaml", "readmission_by_condition", values=[1.6])
    spoil(folder, "returns.yaml", "ed_return_hours", values=[71, 4])
    spoil(folder, "overload.yaml", "lwbs_base", values=1.5)
    spoil(folder, "overload.yaml", "surge_beds_share", source="")
    found = "\n".join(problems(folder))
    assert "returns.yaml: table readmission_age_bands: values must start at 0 and rise" in found
    assert "returns.yaml: table readmission_by_condition: values must map each name to a factor" in found
    assert "returns.yaml: table ed_return_hours: values must be [earliest, latest]" in found
    assert "overload.yaml: table lwbs_base: the value is 1.5; it must be between 0 and 1" in found
    assert "overload.yaml: table surge_beds_share: source: is empty" in found
