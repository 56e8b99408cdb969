-- The facts: ED visits, admissions (with their stay and discharge), discharges, transfers, emergency transports,
-- the daily census, shift assignments, staff events (hire, retirement, resignation) and quarterly active staff.
-- Keys are the simulation's own ids, so re-ingesting a file upserts instead of duplicating.
-- Visit and admission ids are kept without a foreign key: a patient boarding or in a bed since before the
-- first simulated day (the simulation's warm-up) carries ids that no file introduces.

CREATE TABLE IF NOT EXISTS {schema}.fact_visit (
    visit_id       TEXT COLLATE "C" PRIMARY KEY,
    person_id      BIGINT    NOT NULL,
    hospital_id    TEXT      NOT NULL,
    visit_date     DATE      NOT NULL,
    arrival_time   TIMESTAMP NOT NULL,
    departure_time TIMESTAMP,                -- null while boarding in the ED at the end of the day
    arrival_mode   TEXT      NOT NULL,
    age            SMALLINT  NOT NULL CHECK (age >= 0),
    sex            TEXT      NOT NULL,
    triage         SMALLINT  NOT NULL CHECK (triage BETWEEN 1 AND 5),
    triage_color   TEXT      NOT NULL,
    reason         TEXT      NOT NULL,
    disposition    TEXT      NOT NULL CHECK (disposition IN ('discharged', 'admitted', 'transferred', 'left_without_being_seen')),
    outcome        TEXT      NOT NULL DEFAULT 'alive' CHECK (outcome IN ('alive', 'died')),
    file_id        INTEGER   NOT NULL,
    CONSTRAINT fact_visit_person_fkey FOREIGN KEY (person_id) REFERENCES {schema}.dim_person NOT ENFORCED,
    CONSTRAINT fact_visit_hospital_fkey FOREIGN KEY (hospital_id) REFERENCES {schema}.dim_hospital NOT ENFORCED,
    CONSTRAINT fact_visit_date_fkey FOREIGN KEY (visit_date) REFERENCES {schema}.dim_date NOT ENFORCED
);

CREATE TABLE IF NOT EXISTS {schema}.fact_admission (
    admission_id           TEXT COLLATE "C" PRIMARY KEY,
    person_id              BIGINT           NOT NULL,
    visit_id               TEXT,             -- null for elective admissions
    hospital_id            TEXT             NOT NULL,
    ward                   TEXT             NOT NULL,
    bed                    TEXT             NOT NULL,
    admit_date             DATE             NOT NULL,
    admit_time             TIMESTAMP        NOT NULL,
    length_of_stay_days    DOUBLE PRECISION NOT NULL CHECK (length_of_stay_days >= 0),
    planned_discharge_time TIMESTAMP        NOT NULL,
    type                   TEXT             NOT NULL CHECK (type IN ('emergency', 'elective')),
    discharge_time         TIMESTAMP,        -- from discharges_<date>.csv; null while in bed
    file_id                INTEGER          NOT NULL,
    CONSTRAINT fact_admission_person_fkey FOREIGN KEY (person_id) REFERENCES {schema}.dim_person NOT ENFORCED,
    CONSTRAINT fact_admission_ward_fkey FOREIGN KEY (hospital_id, ward) REFERENCES {schema}.dim_ward NOT ENFORCED,
    CONSTRAINT fact_admission_date_fkey FOREIGN KEY (admit_date) REFERENCES {schema}.dim_date NOT ENFORCED
);

CREATE TABLE IF NOT EXISTS {schema}.fact_discharge (
    admission_id        TEXT COLLATE "C" PRIMARY KEY,
    person_id           BIGINT           NOT NULL,
    hospital_id         TEXT             NOT NULL,
    ward                TEXT             NOT NULL,
    bed                 TEXT             NOT NULL,
    admit_time          TIMESTAMP        NOT NULL,
    discharge_date      DATE             NOT NULL,
    discharge_time      TIMESTAMP        NOT NULL,
    length_of_stay_days DOUBLE PRECISION NOT NULL CHECK (length_of_stay_days >= 0),
    outcome             TEXT             NOT NULL DEFAULT 'alive' CHECK (outcome IN ('alive', 'died')),
    file_id             INTEGER          NOT NULL,
    CHECK (discharge_time >= admit_time),
    CONSTRAINT fact_discharge_person_fkey FOREIGN KEY (person_id) REFERENCES {schema}.dim_person NOT ENFORCED,
    CONSTRAINT fact_discharge_ward_fkey FOREIGN KEY (hospital_id, ward) REFERENCES {schema}.dim_ward NOT ENFORCED,
    CONSTRAINT fact_discharge_date_fkey FOREIGN KEY (discharge_date) REFERENCES {schema}.dim_date NOT ENFORCED
);

CREATE TABLE IF NOT EXISTS {schema}.fact_transfer (
    transfer_id             TEXT COLLATE "C" PRIMARY KEY,
    person_id               BIGINT           NOT NULL,
    visit_id                TEXT,
    admission_id            TEXT,
    origin_hospital_id      TEXT             NOT NULL,
    destination_hospital_id TEXT             NOT NULL,
    ward                    TEXT             NOT NULL,
    reason                  TEXT             NOT NULL CHECK (reason IN ('capacity', 'specialty')),
    transfer_date           DATE             NOT NULL,
    request_time            TIMESTAMP        NOT NULL,
    departure_time          TIMESTAMP        NOT NULL,
    arrival_time            TIMESTAMP        NOT NULL,
    distance_km             DOUBLE PRECISION NOT NULL CHECK (distance_km >= 0),
    file_id                 INTEGER          NOT NULL,
    CONSTRAINT fact_transfer_person_fkey FOREIGN KEY (person_id) REFERENCES {schema}.dim_person NOT ENFORCED,
    CONSTRAINT fact_transfer_origin_fkey FOREIGN KEY (origin_hospital_id)
        REFERENCES {schema}.dim_hospital NOT ENFORCED,
    CONSTRAINT fact_transfer_destination_fkey FOREIGN KEY (destination_hospital_id, ward)
        REFERENCES {schema}.dim_ward NOT ENFORCED,
    CONSTRAINT fact_transfer_date_fkey FOREIGN KEY (transfer_date) REFERENCES {schema}.dim_date NOT ENFORCED
);

CREATE TABLE IF NOT EXISTS {schema}.fact_emergency_transport (
    transport_id   TEXT COLLATE "C" PRIMARY KEY,
    person_id      BIGINT           NOT NULL,
    visit_id       TEXT,
    priority       SMALLINT         NOT NULL CHECK (priority BETWEEN 1 AND 3),
    transport_date DATE             NOT NULL,
    dispatch_time  TIMESTAMP        NOT NULL,
    pickup_time    TIMESTAMP        NOT NULL,
    arrival_time   TIMESTAMP        NOT NULL,
    hospital_id    TEXT             NOT NULL,
    distance_km    DOUBLE PRECISION NOT NULL CHECK (distance_km >= 0),
    file_id        INTEGER          NOT NULL,
    CONSTRAINT fact_emergency_transport_person_fkey FOREIGN KEY (person_id)
        REFERENCES {schema}.dim_person NOT ENFORCED,
    CONSTRAINT fact_emergency_transport_hospital_fkey FOREIGN KEY (hospital_id)
        REFERENCES {schema}.dim_hospital NOT ENFORCED,
    CONSTRAINT fact_emergency_transport_date_fkey FOREIGN KEY (transport_date)
        REFERENCES {schema}.dim_date NOT ENFORCED
);

-- The simulation's own census at midnight: the ground truth the occupancy views report.
CREATE TABLE IF NOT EXISTS {schema}.fact_census (
    census_date         DATE    NOT NULL REFERENCES {schema}.dim_date,
    hospital_id         TEXT    NOT NULL,
    ward                TEXT    NOT NULL,
    beds                INTEGER NOT NULL CHECK (beds >= 0),
    occupied            INTEGER NOT NULL CHECK (occupied >= 0),
    admitted            INTEGER NOT NULL CHECK (admitted >= 0),
    discharged          INTEGER NOT NULL CHECK (discharged >= 0),
    transfers_in        INTEGER NOT NULL CHECK (transfers_in >= 0),
    transfers_out       INTEGER NOT NULL CHECK (transfers_out >= 0),
    boarding            INTEGER NOT NULL CHECK (boarding >= 0),
    cancelled_electives INTEGER NOT NULL CHECK (cancelled_electives >= 0),
    file_id             INTEGER NOT NULL,
    PRIMARY KEY (census_date, hospital_id, ward),
    FOREIGN KEY (hospital_id, ward) REFERENCES {schema}.dim_ward
);

CREATE TABLE IF NOT EXISTS {schema}.fact_shift_assignment (
    staff_id    TEXT      NOT NULL,
    shift_start TIMESTAMP NOT NULL,
    shift_end   TIMESTAMP NOT NULL,
    shift_date  DATE      NOT NULL,
    shift       TEXT      NOT NULL,          -- day/night (12x36) or morning/afternoon/night (3x8)
    hospital_id TEXT      NOT NULL,
    ward        TEXT      NOT NULL,
    role        TEXT      NOT NULL,
    file_id     INTEGER   NOT NULL,
    PRIMARY KEY (staff_id, shift_start),
    CHECK (shift_end > shift_start),
    CONSTRAINT fact_shift_assignment_staff_fkey FOREIGN KEY (staff_id) REFERENCES {schema}.dim_staff NOT ENFORCED,
    CONSTRAINT fact_shift_assignment_ward_fkey FOREIGN KEY (hospital_id, ward)
        REFERENCES {schema}.dim_ward NOT ENFORCED,
    CONSTRAINT fact_shift_assignment_role_fkey FOREIGN KEY (role) REFERENCES {schema}.dim_role NOT ENFORCED,
    CONSTRAINT fact_shift_assignment_date_fkey FOREIGN KEY (shift_date) REFERENCES {schema}.dim_date NOT ENFORCED
);

CREATE TABLE IF NOT EXISTS {schema}.fact_staff_event (
    staff_id    TEXT    NOT NULL REFERENCES {schema}.dim_staff,
    event       TEXT    NOT NULL CHECK (event IN ('hire', 'retirement', 'resignation')),
    event_date  DATE    NOT NULL REFERENCES {schema}.dim_date,
    hospital_id TEXT    NOT NULL,
    ward        TEXT    NOT NULL,
    role        TEXT    NOT NULL REFERENCES {schema}.dim_role,
    file_id     INTEGER NOT NULL,
    PRIMARY KEY (staff_id, event, event_date),
    FOREIGN KEY (hospital_id, ward) REFERENCES {schema}.dim_ward
);

-- Who was on the books in each quarter (staff_active_<year>_Q<n>.csv).
CREATE TABLE IF NOT EXISTS {schema}.fact_staff_active (
    year        SMALLINT NOT NULL,
    quarter     SMALLINT NOT NULL CHECK (quarter BETWEEN 1 AND 4),
    staff_id    TEXT     NOT NULL REFERENCES {schema}.dim_staff,
    hospital_id TEXT     NOT NULL,
    ward        TEXT     NOT NULL,
    role        TEXT     NOT NULL REFERENCES {schema}.dim_role,
    team        TEXT,
    file_id     INTEGER  NOT NULL,
    PRIMARY KEY (year, quarter, staff_id),
    FOREIGN KEY (hospital_id, ward) REFERENCES {schema}.dim_ward
);

-- A warehouse made before deaths were simulated gets the outcome columns (its rows: alive).
ALTER TABLE {schema}.fact_visit ADD COLUMN IF NOT EXISTS outcome TEXT NOT NULL DEFAULT 'alive';
ALTER TABLE {schema}.fact_discharge ADD COLUMN IF NOT EXISTS outcome TEXT NOT NULL DEFAULT 'alive';

-- Births (births_<date>.csv): the newborn is also a dim_person row, loaded by the same file.
CREATE TABLE IF NOT EXISTS {schema}.fact_birth (
    person_id    BIGINT    PRIMARY KEY,
    mother_id    BIGINT    NOT NULL,
    birth_date   DATE      NOT NULL,
    birth_time   TIMESTAMP NOT NULL,
    hospital_id  TEXT      NOT NULL,
    visit_id     TEXT,
    admission_id TEXT,
    file_id      INTEGER   NOT NULL,
    CONSTRAINT fact_birth_person_fkey FOREIGN KEY (person_id) REFERENCES {schema}.dim_person NOT ENFORCED,
    CONSTRAINT fact_birth_mother_fkey FOREIGN KEY (mother_id) REFERENCES {schema}.dim_person NOT ENFORCED,
    CONSTRAINT fact_birth_hospital_fkey FOREIGN KEY (hospital_id) REFERENCES {schema}.dim_hospital NOT ENFORCED,
    CONSTRAINT fact_birth_date_fkey FOREIGN KEY (birth_date) REFERENCES {schema}.dim_date NOT ENFORCED
);

-- Deaths (deaths_<date>.csv): at home, in the ED (with its visit) or in a ward (with its admission).
CREATE TABLE IF NOT EXISTS {schema}.fact_death (
    person_id    BIGINT    PRIMARY KEY,
    death_date   DATE      NOT NULL,
    death_time   TIMESTAMP NOT NULL,
    age          SMALLINT  NOT NULL CHECK (age >= 0),
    sex          TEXT      NOT NULL,
    place        TEXT      NOT NULL,
    hospital_id  TEXT,
    visit_id     TEXT,
    admission_id TEXT,
    file_id      INTEGER   NOT NULL,
    CONSTRAINT fact_death_person_fkey FOREIGN KEY (person_id) REFERENCES {schema}.dim_person NOT ENFORCED,
    CONSTRAINT fact_death_date_fkey FOREIGN KEY (death_date) REFERENCES {schema}.dim_date NOT ENFORCED
);

-- Rota shifts the day's census changed (shift_changes_<date>.csv): call_off = sent home, call_in = an extra
-- shift of an off-duty staff member. v_staffing_shift counts the rota's shifts less the call-offs plus the call-ins.
CREATE TABLE IF NOT EXISTS {schema}.fact_shift_change (
    staff_id    TEXT      NOT NULL,
    shift_start TIMESTAMP NOT NULL,
    shift_end   TIMESTAMP NOT NULL,
    shift_date  DATE      NOT NULL,
    shift       TEXT      NOT NULL,
    hospital_id TEXT      NOT NULL,
    ward        TEXT      NOT NULL,
    role        TEXT      NOT NULL,
    change      TEXT      NOT NULL CHECK (change IN ('call_off', 'call_in')),
    file_id     INTEGER   NOT NULL,
    PRIMARY KEY (staff_id, shift_start),
    CONSTRAINT fact_shift_change_staff_fkey FOREIGN KEY (staff_id) REFERENCES {schema}.dim_staff NOT ENFORCED,
    CONSTRAINT fact_shift_change_ward_fkey FOREIGN KEY (hospital_id, ward) REFERENCES {schema}.dim_ward NOT ENFORCED
);
