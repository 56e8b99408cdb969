"""Params: precedence, the original simulator's variables, and a clear message for each bad value."""
from __future__ import annotations

import dataclasses
import datetime as dt
import math
import typing
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from hospsim import config
from hospsim.config import ConfigError


def load(tmp_path, overrides=None, environ=None, dotenv_text=None, params_file=None):
    dotenv = tmp_path / ".env"
    if dotenv_text is not None:
        dotenv.write_text(dotenv_text)
    return config.load(params_file, overrides, environ=environ or {}, dotenv=dotenv)


OPTIONAL_RECORD_FIELDS = {"Hospital.specialties", "Hospital.rural", "Hospital.referral", "Ward.first_bed",
                          "Condition.visit_risk", "Condition.admit_risk",
                          "Insurance.private_plan_shares", "Insurance.senior_plan", "Insurance.senior_age"}


def _all_fields(cls=config.Params):
    for f in dataclasses.fields(cls):
        yield cls, f
        inner = typing.get_type_hints(cls)[f.name]
        inner = typing.get_args(inner)[0] if typing.get_origin(inner) is tuple else inner
        if dataclasses.is_dataclass(inner):
            yield from _all_fields(inner)


def test_every_default_lives_in_default_yaml_alone():
    """The fields hold types, bounds and docs; a value in code would be a second, hand-kept copy."""
    in_code = {f"{cls.__name__}.{f.name}" for cls, f in _all_fields()
               if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING}
    assert in_code == OPTIONAL_RECORD_FIELDS, "optional fields of list items are the only ones with a default in code"


def test_a_params_file_names_only_what_it_changes(tmp_path):
    small = tmp_path / "small.yaml"
    small.write_text("simulation: {days: 10}\nworkforce: {nurse_ratios: {icu: 1.5}}\n")
    p, base = load(tmp_path, params_file=small), config.defaults()
    assert (p.simulation.days, p.workforce.nurse_ratios.icu) == (10, 1.5)
    assert p.simulation.population == base.simulation.population
    assert p.workforce.nurse_ratios.med_surg == base.workforce.nurse_ratios.med_surg
    assert p.region == base.region


def test_a_list_replaces_the_default_whole_and_its_items_need_every_key(tmp_path):
    one = tmp_path / "one.yaml"
    one.write_text("region: {hospitals: [{id: H9, name: Solo, lat: -23.5, lon: -46.6, wards: {icu: 4}}]}\n")
    with pytest.raises(ConfigError, match=r"region\.hospitals\[0\]\.city: missing"):
        load(tmp_path, params_file=one)


def test_precedence_overrides_beat_env_beat_dotenv_beat_yaml(tmp_path):
    yaml_file = tmp_path / "p.yaml"
    yaml_file.write_text("simulation: {days: 10}\noltp: {stream: {batch_size: 5}}\nseed: 1\n")
    p = load(tmp_path, params_file=yaml_file)
    assert (p.simulation.days, p.oltp.stream.batch_size, p.seed) == (10, 5, 1)
    p = load(tmp_path, params_file=yaml_file, dotenv_text="BATCH_SIZE=7\nHOSPSIM_SEED=3\n")
    assert (p.simulation.days, p.oltp.stream.batch_size, p.seed) == (10, 7, 3)
    p = load(tmp_path, params_file=yaml_file, dotenv_text="BATCH_SIZE=7\n", environ={"BATCH_SIZE": "9"})
    assert p.oltp.stream.batch_size == 9
    p = load(tmp_path, ["oltp.stream.batch_size=11"], environ={"BATCH_SIZE": "9"}, params_file=yaml_file)
    assert p.oltp.stream.batch_size == 11 and p.simulation.days == 10


def test_original_simulator_variables(tmp_path):
    env = {"PG_HOST": "db.internal", "PG_PORT": "5433", "PG_USER": "app", "PG_PASSWORD": "app123",
           "PG_DATABASE": "teste_pacientes", "STREAM_INTERVAL_SECONDS": "0.5", "BATCH_SIZE": "25",
           "MAX_JITTER_MS": "100", "SEED_PACIENTES": "10", "SEED_MEDICOS": "2", "SEED_CONVENIOS": "3",
           "SEED_CONSULTAS": "4", "SEED_EXAMES": "5", "SEED_INTERNACOES": "6", "SEED_PACIENTES_CONVENIOS": "7",
           "LOG_LEVEL": "DEBUG"}
    p = load(tmp_path, environ=env)
    assert (p.postgres.host, p.postgres.port, p.postgres.user, p.postgres.password, p.postgres.database) == (
        "db.internal", 5433, "app", "app123", "teste_pacientes")
    assert p.postgres.embedded is False, "PG_HOST names an external server"
    s = p.oltp.stream
    assert (s.interval_seconds, s.batch_size, s.max_jitter_ms) == (0.5, 25, 100)
    seed = p.oltp.seed
    assert (seed.pacientes, seed.medicos, seed.convenios, seed.consultas, seed.exames, seed.internacoes,
            seed.pacientes_convenios) == (10, 2, 3, 4, 5, 6, 7)
    assert p.log_level == "DEBUG"


def test_password_from_env_stays_text(tmp_path):
    p = load(tmp_path, environ={"PG_PASSWORD": "0123", "PG_USER": "true"})
    assert p.postgres.password == "0123" and p.postgres.user == "true"


def test_dotenv_quotes_comments_and_export(tmp_path):
    p = load(tmp_path, dotenv_text='# comment\nexport PG_DATABASE="quoted db"\n\nLOG_LEVEL=\'WARNING\'\n')
    assert p.postgres.database == "quoted db" and p.log_level == "WARNING"


def test_overrides_parse_types_and_wards_mapping(tmp_path):
    p = load(tmp_path, ["simulation.start_date=2024-06-01", "kafka.enabled=false",
                        "oltp.stream.events_per_second=250"])
    assert p.simulation.start_date == dt.date(2024, 6, 1)
    assert p.kafka.enabled is False and p.oltp.stream.events_per_second == 250.0
    hospitals = [{"id": "A", "name": "A", "city": "X", "lat": 0, "lon": 0, "wards": {"icu": 4, "med_surg": 9}}]
    p = load(tmp_path, {"region.hospitals": hospitals})
    assert [(w.type, w.beds) for w in p.region.hospitals[0].wards] == [("icu", 4), ("med_surg", 9)]


def test_paths_resolve_against_the_project(tmp_path):
    p = load(tmp_path)
    assert p.dirs.data_dir == config.PROJECT_ROOT / "data"
    assert load(tmp_path, {"paths.data_dir": str(tmp_path)}).dirs.data_dir == tmp_path


def test_database_url_selects_an_external_server(tmp_path):
    p = load(tmp_path, environ={"DATABASE_URL": "postgresql://u:p@h:6543/d"})
    assert p.postgres.embedded is False and p.postgres.url == "postgresql://u:p@h:6543/d"


def _hospital(**extra):
    return [{"id": "A", "name": "A", "city": "X", "lat": 0, "lon": 0, "wards": {"icu": 4}, **extra}]


BAD = [
    ({"simulation.days": 0}, "simulation.days = 0: must be >= 1"),
    ({"simulation.population": -5}, "simulation.population = -5: must be >= 1"),
    ({"simulation.ed_admit_share": 1.5}, "simulation.ed_admit_share = 1.5: must be <= 1"),
    ({"locale": "pt_BT"}, "did you mean pt_BR?"),
    ({"simulation.dayz": 3}, "simulation.dayz: unknown key; did you mean simulation.days?"),
    ({"postgres.port": 70000}, "postgres.port = 70000: must be <= 65535"),
    ({"postgres.port": "abc"}, "postgres.port = 'abc': expected a whole number"),
    ({"kafka.enabled": "maybe"}, "kafka.enabled = 'maybe': expected true or false"),
    ({"simulation.start_date": "01/02/2025"}, "expected a date as YYYY-MM-DD"),
    ({"log_level": "LOUD"}, "log_level = 'LOUD': must be one of"),
    ({"region.hospitals": _hospital(wards={"icu": -3})}, "region.hospitals[0].wards[0].beds = -3: must be >= 1"),
    ({"region.hospitals": _hospital(wards={"morgue": 3})}, "wards[0].type = 'morgue': must be one of"),
    ({"region.hospitals": _hospital() + _hospital()}, "id 'A' is used twice"),
    ({"region.hospitals": []}, "at least one hospital is needed"),
    ({"oltp.stream.insert_ratio": -0.1}, "oltp.stream.insert_ratio = -0.1: must be >= 0"),
    ({"oltp.stream.batch_size": 2.5}, "oltp.stream.batch_size = 2.5: expected a whole number"),
    ({"kafka.connect_port": 19092}, "must be three different ports"),
    ({"seed": True}, "seed = True: expected a whole number"),
    ({"simulation.start_date": "2025-02-30"}, ("simulation.start_date = '2025-02-30': expected a date as YYYY-MM-DD "
                                               "(day is out of range for month)")),
    ({"simulation.days": 100_000_000}, f"simulation.days = 100000000: must be <= {config.MAX_DAYS}"),
    ({"simulation.days": 8000}, "simulation.days = 8000: nobody is born or dies during a run"),
    ({"simulation.days": float("inf")}, "simulation.days = inf: expected a whole number"),
    ({"simulation.mean_length_of_stay_days": float("nan")}, ("simulation.mean_length_of_stay_days = nan: expected "
                                                             "a finite number")),
    ({"warehouse.watch_interval_seconds": float("inf")}, "warehouse.watch_interval_seconds = inf: expected a finite"),
    ({"stream.delivery_timeout_ms": 10_000}, "stream.delivery_timeout_ms = 10000: Kafka needs it >= linger_ms"),
    ({"kafka.topic_prefix": "a b"}, "kafka.topic_prefix = 'a b': Kafka topic names allow letters"),
    ({"stream.schema": "Stream-1"}, "stream.schema = 'Stream-1': use lowercase letters, digits and _"),
    ({"stream.schema": "oltp"}, "stream.schema = 'oltp': already another schema's name"),
]


@pytest.mark.parametrize(("override", "message"), BAD, ids=[next(iter(o)) + "-" + str(i) for i, (o, _) in enumerate(BAD)])
def test_bad_values_get_their_own_clear_message(tmp_path, override, message):
    with pytest.raises(ConfigError) as err:
        load(tmp_path, override)
    assert message in str(err.value)


def test_bad_env_value_names_the_key(tmp_path):
    with pytest.raises(ConfigError, match=r"oltp.stream.batch_size = 'fifty': expected a whole number"):
        load(tmp_path, environ={"BATCH_SIZE": "fifty"})


def test_all_problems_reported_at_once(tmp_path):
    with pytest.raises(ConfigError) as err:
        load(tmp_path, {"simulation.days": 0, "locale": "xx"})
    assert len(err.value.problems) == 2


def test_missing_and_malformed_params_files(tmp_path):
    with pytest.raises(ConfigError, match="does not exist; pass one of .*default.yaml"):
        load(tmp_path, params_file=tmp_path / "nope.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("seed: [1,\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load(tmp_path, params_file=broken)
    listy = tmp_path / "list.yaml"
    listy.write_text("- 1\n- 2\n")
    with pytest.raises(ConfigError, match="top level must be a mapping"):
        load(tmp_path, params_file=listy)


def test_override_without_equals_is_explained(tmp_path):
    with pytest.raises(ConfigError, match="is not key=value"):
        load(tmp_path, ["simulation.days"])


def test_a_shipped_preset_is_found_by_name_from_an_empty_project_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(config, "PROJECT_ROOT", tmp_path)     # an installed wheel started in an empty folder
    shipped = load(tmp_path, params_file=config.PARAMS_DIR / "workshop.yaml")
    for name in ("workshop.yaml", "params/workshop.yaml"):
        assert load(tmp_path, params_file=name) == shipped
    with pytest.raises(ConfigError, match="params file params/nope.yaml does not exist; pass one of .*workshop.yaml"):
        load(tmp_path, params_file="params/nope.yaml")


def test_every_params_file_loads(tmp_path):
    for path in sorted(Path(config.PARAMS_DIR).glob("*.yaml")):
        load(tmp_path, params_file=path)


def test_a_key_given_twice_in_a_params_file_names_the_key_and_the_file(tmp_path):
    twice = tmp_path / "twice.yaml"
    twice.write_text("seed: 1\nsimulation:\n  days: 3\n  population: 100\n  days: 5\n")
    with pytest.raises(ConfigError) as err:
        load(tmp_path, params_file=twice)
    assert f"{twice}: simulation.days is given twice (lines 3 and 5)" in str(err.value)
    top = tmp_path / "top.yaml"
    top.write_text("seed: 1\nseed: 2\n")
    with pytest.raises(ConfigError, match=r"seed is given twice \(lines 1 and 2\)"):
        load(tmp_path, params_file=top)
    listed = tmp_path / "listed.yaml"
    listed.write_text("region:\n  hospitals:\n    - {id: A, id: B}\n")
    with pytest.raises(ConfigError, match=r"region.hospitals\[0\].id is given twice"):
        load(tmp_path, params_file=listed)


def test_merge_keys_may_be_overridden_and_aliases_are_not_duplicates(tmp_path):
    tree = yaml.load("a: &x {k: 1}\nb:\n  <<: *x\n  k: 2\n", Loader=config.StrictLoader)
    assert tree == {"a": {"k": 1}, "b": {"k": 2}}


def test_an_impossible_date_in_a_params_file_names_its_key(tmp_path):
    bad = tmp_path / "date.yaml"
    bad.write_text("simulation:\n  start_date: 2025-02-30\n")
    with pytest.raises(ConfigError, match=r"simulation.start_date = '2025-02-30': expected a date as YYYY-MM-DD"):
        load(tmp_path, params_file=bad)


def test_folders_that_cannot_be_folders_name_their_key(tmp_path):
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    with pytest.raises(ConfigError, match=rf"paths.data_dir = '{a_file}': {a_file} is a file, not a folder"):
        load(tmp_path, {"paths.data_dir": str(a_file)})
    with pytest.raises(ConfigError, match=rf"paths.logs_dir = '{a_file}/logs': cannot be created: {a_file} is a file"):
        load(tmp_path, {"paths.logs_dir": str(a_file / "logs")})
    fresh = tmp_path / "not" / "yet"
    assert load(tmp_path, {"paths.data_dir": str(fresh)}).dirs.data_dir == fresh
    assert not fresh.exists(), "checking a folder never creates it"


def test_the_age_bound_is_the_one_the_bands_keep(tmp_path):
    oldest = max(b.max_age for b in config.defaults().population.age_bands)
    most = (config.MAX_AGE - oldest) * 365
    assert load(tmp_path, {"simulation.days": most}).simulation.days == most
    with pytest.raises(ConfigError, match=f"at most {most} days"):
        load(tmp_path, {"simulation.days": most + 1})


# --------------------------------------------------------------------------- properties (Hypothesis)


KEYS = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
TREES = st.recursive(st.integers() | st.text(max_size=8) | st.booleans(),
                     lambda inner: st.dictionaries(KEYS, inner, max_size=4), max_leaves=12)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(KEYS, TREES, min_size=1, max_size=5))
def test_yaml_without_repeated_keys_loads_as_the_safe_loader_does(tree):
    text = yaml.safe_dump(tree)
    assert yaml.load(text, Loader=config.StrictLoader) == yaml.safe_load(text)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(KEYS, st.integers(), min_size=1, max_size=5), st.data())
def test_a_repeated_key_anywhere_is_named(tree, data):
    key = data.draw(st.sampled_from(sorted(tree)))
    section = data.draw(KEYS)
    text = yaml.safe_dump({section: tree}) + f"  {key}: 1\n"
    with pytest.raises(config.DuplicateKey, match=rf"^{section}\.{key} is given twice"):
        yaml.load(text, Loader=config.StrictLoader)


NUMBERS = st.floats(allow_nan=True, allow_infinity=True) | st.integers(-10**20, 10**20) | st.text(max_size=6) \
    | st.booleans() | st.none() | st.dates().map(str)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["simulation.days", "simulation.mean_length_of_stay_days", "warehouse.watch_interval_seconds",
                        "simulation.start_date", "postgres.port", "stream.delivery_timeout_ms",
                        "simulation.ed_admit_share"]), NUMBERS)
def test_any_value_is_taken_within_its_bounds_or_refused_naming_its_key(key, value):
    try:
        params = config.with_overrides(config.defaults(), {key: value})
    except ConfigError as exc:
        assert any(p.startswith(key) for p in exc.problems), exc.problems
    else:
        section, name = key.split(".")
        got = getattr(getattr(params, section), name)
        meta = {f.name: f.metadata for f in dataclasses.fields(getattr(params, section))}[name]
        if isinstance(got, float):
            assert math.isfinite(got)
        for bound, ok in (("ge", lambda b: got >= b), ("gt", lambda b: got > b), ("le", lambda b: got <= b)):
            if meta.get(bound) is not None:
                assert ok(meta[bound])


def test_a_referral_hospital_has_no_emergency_ward(tmp_path):
    params = config.load("params/workshop.yaml", environ={}, dotenv="no-such.env")
    first = params.region.hospitals[0]
    held = dataclasses.replace(first, id="HX", referral=True)
    bad = dataclasses.replace(params, region=dataclasses.replace(params.region,
                                                                 hospitals=(*params.region.hospitals, held)))
    with pytest.raises(ConfigError, match=r"HX is a referral hospital .* has an emergency ward; drop the ward"):
        config.validate(bad)
    alone = dataclasses.replace(params, region=dataclasses.replace(params.region, hospitals=(
        dataclasses.replace(held, wards=tuple(w for w in first.wards if w.type != "emergency")),)))
    with pytest.raises(ConfigError, match="every hospital is a referral hospital"):
        config.validate(alone)


def test_params_travel_to_dask_workers_by_reference_and_leave_the_classes_as_they_were():
    """The sections made by make_dataclass are importable, so cloudpickle (Dask) sends them by name; sent by
    value, loading them back in this process gave their fields defaults (a region's result, a LocalCluster)."""
    import pickle

    import cloudpickle
    params = config.load("params/workshop.yaml", environ={}, dotenv="no-such.env")
    assert pickle.loads(cloudpickle.dumps(params)) == params
    test_every_default_lives_in_default_yaml_alone()
    assert all(cls.__module__ == "hospsim.config" for cls in (config.NurseRatios, config.OltpSeed, config.WardDeaths))
