"""The data dictionary: no column without a description, the descriptions in the database, the docs up to date."""
from __future__ import annotations

from contextlib import closing

import pytest

from hospsim import cli, config, dictionary
from hospsim.dictionary_commands import create_schemas
from tests.conftest import own_database, small_params


@pytest.fixture
def described_db(tmp_path, pg, pg_admin):
    """A database of its own with the warehouse, stream and OLTP schemas, created as hospsim creates them."""
    name = "dictionary_test"
    info = own_database(pg, pg_admin, name)
    params = small_params(tmp_path, info)
    with closing(info.connect()) as conn:
        create_schemas(conn, params, info)
    return params, info


@pytest.mark.services
def test_every_column_of_every_file_event_and_table_is_described(described_db):
    params, info = described_db
    with closing(info.connect()) as conn:
        assert dictionary.missing(conn, params) == [], "describe these in hospsim/dictionary.yaml"
        files, fields = dictionary.batch_files(params), dictionary.event_fields()
        tables = dictionary.table_columns(conn, dictionary.Schemas.of(params))
    assert len(files) >= 150 and len(fields) >= 60 and len(tables) >= 300
    assert set(tables["schema"]) == {"warehouse", "stream", "oltp"}


@pytest.mark.services
def test_the_database_carries_the_descriptions_as_comments(described_db):
    params, info = described_db
    with closing(info.connect()) as conn:
        written = dictionary.apply(conn, params)
        with conn.cursor() as cur:
            cur.execute("""SELECT c.table_schema || '.' || c.table_name || '.' || c.column_name
                           FROM information_schema.columns c JOIN information_schema.tables t
                             USING (table_schema, table_name)
                           WHERE c.table_schema IN ('warehouse', 'stream', 'oltp') AND t.table_type = 'BASE TABLE'
                             AND col_description(format('%I.%I', c.table_schema, c.table_name)::regclass,
                                                 c.ordinal_position) IS NULL""")
            uncommented = [row[0] for row in cur.fetchall()]
            cur.execute("SELECT col_description('warehouse.fact_visit'::regclass, 1), "
                        "obj_description('oltp.internacoes'::regclass, 'pg_class')")
            visit_id, internacoes = cur.fetchone()
    assert written > 300 and uncommented == []
    assert visit_id == dictionary.describe("visit_id") and "data_saida" in internacoes


def test_a_description_follows_the_name_unless_a_place_overrides_it():
    assert dictionary.describe("person_id") == dictionary.describe("person_id", "warehouse.fact_visit")
    assert dictionary.describe("name", "warehouse.dim_hospital") == "hospital name"
    assert dictionary.describe("no_such_column") is None


def test_every_override_and_table_names_a_real_place(tmp_path):
    """A renamed column would leave its override behind, describing nothing: the override names must resolve."""
    params = small_params(tmp_path)
    glossary = dictionary.glossary()
    files = {f.split("_<")[0].removesuffix(".csv") for f in glossary["files"]}
    file_columns = {(r.file.split("_<")[0].removesuffix(".csv"), r.column)
                    for r in dictionary.batch_files(params).itertuples()}
    for place in glossary["overrides"]:
        head, _, column = place.rpartition(".")
        if head in files:
            assert (head, column) in file_columns, place
        else:
            assert head.split(".")[0] in ("warehouse", "stream", "oltp"), place
    assert set(glossary["files"]) == set(dictionary.batch_files(params)["file"])


@pytest.mark.services
def test_the_committed_docs_are_what_hospsim_docs_writes(described_db, tmp_path, capsys):
    _, info = described_db
    out = tmp_path / "dictionary.md"
    argv = ["docs", "--out", str(out), "-p", "postgres.embedded=false", "-p", f"postgres.host={info.host}",
            "-p", f"postgres.port={info.port}", "-p", f"postgres.user={info.user}",
            "-p", f"postgres.password={info.password}", "-p", f"postgres.database={info.database}",
            "-p", f"paths.state_dir={tmp_path / 'state'}"]
    assert cli.main(argv) == 0
    assert "comments written" in capsys.readouterr().out
    committed = (config.PROJECT_ROOT / dictionary.DOCS_FILE).read_text(encoding="utf-8")
    assert out.read_text(encoding="utf-8") == committed, "run `hospsim docs` and commit docs/data-dictionary.md"
    assert "erDiagram" in committed and "dim_ward ||--o{ fact_census" in committed
