-- The warehouse's dimensions: date, hospital, ward, role, illness, person (patient), staff, reserve candidates.
-- Rendered by hospsim.warehouse.schema: {schema} is the configured schema (params warehouse.schema), quoted.
-- Idempotent: `hospsim warehouse init` (and every `hospsim ingest`) runs it again on a live schema.
--
-- Foreign keys among the small, params-sized tables are enforced. Those from tables that grow with the
-- population or the days (persons, facts) are declared NOT ENFORCED (PostgreSQL 18): the ingestor checks
-- every file with one anti-join before it merges, which costs a fraction of a per-row trigger check
-- (1M visits: ~8 s merged with the declared keys, ~47 s with enforced ones on the project machine).

CREATE SCHEMA IF NOT EXISTS {schema};

CREATE TABLE IF NOT EXISTS {schema}.dim_date (
    date_key    DATE     PRIMARY KEY,
    year        SMALLINT NOT NULL,
    quarter     SMALLINT NOT NULL,
    month       SMALLINT NOT NULL,
    day         SMALLINT NOT NULL,
    iso_dow     SMALLINT NOT NULL,           -- 1 = Monday .. 7 = Sunday
    day_name    TEXT     NOT NULL,
    is_weekend  BOOLEAN  NOT NULL,
    year_quarter TEXT    NOT NULL,           -- '2025-Q1'
    year_month  TEXT     NOT NULL            -- '2025-01'
);

CREATE TABLE IF NOT EXISTS {schema}.dim_hospital (
    hospital_id TEXT             PRIMARY KEY,
    name        TEXT             NOT NULL,
    city        TEXT             NOT NULL,
    lat         DOUBLE PRECISION NOT NULL,
    lon         DOUBLE PRECISION NOT NULL,
    rural       BOOLEAN          NOT NULL,
    specialties TEXT[]           NOT NULL
);

CREATE TABLE IF NOT EXISTS {schema}.dim_ward (
    hospital_id TEXT             NOT NULL REFERENCES {schema}.dim_hospital,
    ward        TEXT             NOT NULL,   -- the ward type: emergency, icu, med_surg, ...
    beds        INTEGER          NOT NULL CHECK (beds >= 0),
    nurse_ratio DOUBLE PRECISION,            -- patients per nurse on a shift under workforce.staffing_rule
    PRIMARY KEY (hospital_id, ward)
);

CREATE TABLE IF NOT EXISTS {schema}.dim_role (
    role TEXT PRIMARY KEY
);

CREATE TABLE IF NOT EXISTS {schema}.dim_illness (
    illness     TEXT             PRIMARY KEY,
    visit_risk  DOUBLE PRECISION NOT NULL,   -- multiplier of a carrier's ED visit rate
    admit_risk  DOUBLE PRECISION NOT NULL
);

CREATE TABLE IF NOT EXISTS {schema}.dim_person (
    person_id     BIGINT           PRIMARY KEY,
    national_id   TEXT             NOT NULL,
    name          TEXT             NOT NULL,
    sex           TEXT             NOT NULL CHECK (sex IN ('F', 'M')),
    birth_date    DATE             NOT NULL,
    address       TEXT,
    city          TEXT,
    lat           DOUBLE PRECISION,
    lon           DOUBLE PRECISION,
    phone         TEXT,
    insurance     TEXT,
    home_hospital TEXT             NOT NULL,
    conditions    TEXT,                      -- ';'-joined illnesses, from population_with_illnesses.csv
    visit_risk    DOUBLE PRECISION,
    admit_risk    DOUBLE PRECISION,
    -- The ledger row of the file that last wrote it; a direct COPY (see hospsim.warehouse.ingest) sets it
    -- through the transaction's hospsim.file_id setting.
    file_id       INTEGER          NOT NULL DEFAULT current_setting('hospsim.file_id', true)::integer,
    CONSTRAINT dim_person_home_hospital_fkey FOREIGN KEY (home_hospital)
        REFERENCES {schema}.dim_hospital NOT ENFORCED
);

-- A run of keys [lo, hi] that all exist in a dimension (the simulation numbers people 0..N-1): the facts'
-- reference checks pass ids inside it without probing the dimension's index. Refreshed after each load of the
-- dimension; rows of dimensions are never deleted, so a span, once true, stays true.
CREATE TABLE IF NOT EXISTS {schema}.key_span (
    dim TEXT   PRIMARY KEY,
    lo  BIGINT NOT NULL,
    hi  BIGINT NOT NULL,
    CHECK (lo <= hi)
);

CREATE TABLE IF NOT EXISTS {schema}.bridge_person_illness (
    person_id BIGINT NOT NULL,
    illness   TEXT   NOT NULL REFERENCES {schema}.dim_illness,
    PRIMARY KEY (person_id, illness),
    CONSTRAINT bridge_person_illness_person_fkey FOREIGN KEY (person_id)
        REFERENCES {schema}.dim_person NOT ENFORCED
);

CREATE TABLE IF NOT EXISTS {schema}.dim_staff (
    staff_id       TEXT     PRIMARY KEY,
    national_id    TEXT     NOT NULL,
    name           TEXT     NOT NULL,
    sex            TEXT     NOT NULL CHECK (sex IN ('F', 'M')),
    birth_date     DATE     NOT NULL,
    role           TEXT     NOT NULL REFERENCES {schema}.dim_role,
    registration   TEXT     NOT NULL,        -- CRM (physicians) or COREN (nursing)
    specialty      TEXT,
    hospital_id    TEXT     NOT NULL,
    ward           TEXT     NOT NULL,
    team           TEXT,
    vacation_month SMALLINT CHECK (vacation_month BETWEEN 1 AND 12),
    hire_date      DATE     NOT NULL,
    status         TEXT     NOT NULL CHECK (status IN ('active', 'retired', 'resigned')),
    exit_date      DATE,
    candidate_id   TEXT,                     -- the reserve-pool candidate this hire came from
    file_id        INTEGER  NOT NULL,
    FOREIGN KEY (hospital_id, ward) REFERENCES {schema}.dim_ward
);

CREATE TABLE IF NOT EXISTS {schema}.reserve_candidate (
    candidate_id   TEXT    PRIMARY KEY,
    national_id    TEXT    NOT NULL,
    name           TEXT    NOT NULL,
    sex            TEXT    NOT NULL CHECK (sex IN ('F', 'M')),
    birth_date     DATE    NOT NULL,
    role           TEXT    NOT NULL REFERENCES {schema}.dim_role,
    registration   TEXT    NOT NULL,
    specialty      TEXT,
    available_from DATE    NOT NULL,
    file_id        INTEGER NOT NULL
);
