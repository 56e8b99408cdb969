-- Stream processor tables: one per event type, keyed on the deterministic event id, so a replayed
-- message is a no-op (INSERT ... ON CONFLICT (event_id) DO NOTHING). Columns follow the JSON schemas in
-- hospsim/event_schemas (event_type is the table); the last five say where and when the row came from.
-- Concurrent processors start together: the lock (held to COMMIT) lets one create, the others wait.
SELECT pg_advisory_xact_lock(hashtext('hospsim.stream.schema'));
CREATE SCHEMA IF NOT EXISTS {schema};

CREATE TABLE IF NOT EXISTS {schema}.emergency_transports (
    event_id                uuid PRIMARY KEY,
    event_time              timestamp NOT NULL,     -- dispatch, simulated local time
    hospital_id             text NOT NULL,          -- destination
    transport_id            text NOT NULL,
    person_id               bigint NOT NULL,
    visit_id                text,
    priority                smallint NOT NULL CHECK (priority BETWEEN 1 AND 3),
    pickup_time             timestamp NOT NULL,
    arrival_time            timestamp NOT NULL,
    distance_km             double precision NOT NULL,
    schema_version          smallint NOT NULL,
    produced_at             timestamptz NOT NULL,
    processed_at            timestamptz NOT NULL DEFAULT now(),
    kafka_topic             text NOT NULL,
    kafka_partition         integer NOT NULL,
    kafka_offset            bigint NOT NULL
);

CREATE TABLE IF NOT EXISTS {schema}.patient_transfers (
    event_id                uuid PRIMARY KEY,
    event_time              timestamp NOT NULL,     -- departure from the origin
    hospital_id             text NOT NULL,          -- origin
    transfer_id             text NOT NULL,
    person_id               bigint NOT NULL,
    visit_id                text,
    admission_id            text NOT NULL,
    origin_hospital_id      text NOT NULL,
    destination_hospital_id text NOT NULL,
    ward                    text NOT NULL,
    reason                  text NOT NULL CHECK (reason IN ('capacity', 'specialty')),
    request_time            timestamp NOT NULL,
    arrival_time            timestamp NOT NULL,
    distance_km             double precision NOT NULL,
    schema_version          smallint NOT NULL,
    produced_at             timestamptz NOT NULL,
    processed_at            timestamptz NOT NULL DEFAULT now(),
    kafka_topic             text NOT NULL,
    kafka_partition         integer NOT NULL,
    kafka_offset            bigint NOT NULL
);

CREATE TABLE IF NOT EXISTS {schema}.admissions (
    event_id                uuid PRIMARY KEY,
    event_time              timestamp NOT NULL,     -- admission
    hospital_id             text NOT NULL,
    admission_id            text NOT NULL,
    person_id               bigint NOT NULL,
    visit_id                text,
    ward                    text NOT NULL,
    bed                     text NOT NULL,
    length_of_stay_days     double precision NOT NULL,
    planned_discharge_time  timestamp NOT NULL,
    admission_type          text NOT NULL CHECK (admission_type IN ('emergency', 'elective')),
    schema_version          smallint NOT NULL,
    produced_at             timestamptz NOT NULL,
    processed_at            timestamptz NOT NULL DEFAULT now(),
    kafka_topic             text NOT NULL,
    kafka_partition         integer NOT NULL,
    kafka_offset            bigint NOT NULL
);

CREATE TABLE IF NOT EXISTS {schema}.discharges (
    event_id                uuid PRIMARY KEY,
    event_time              timestamp NOT NULL,     -- discharge
    hospital_id             text NOT NULL,
    admission_id            text NOT NULL,
    person_id               bigint NOT NULL,
    ward                    text NOT NULL,
    bed                     text NOT NULL,
    admit_time              timestamp NOT NULL,
    length_of_stay_days     double precision NOT NULL,
    schema_version          smallint NOT NULL,
    produced_at             timestamptz NOT NULL,
    processed_at            timestamptz NOT NULL DEFAULT now(),
    kafka_topic             text NOT NULL,
    kafka_partition         integer NOT NULL,
    kafka_offset            bigint NOT NULL
);

CREATE TABLE IF NOT EXISTS {schema}.bed_status (
    event_id                uuid PRIMARY KEY,
    event_time              timestamp NOT NULL,     -- the bed fills or frees
    hospital_id             text NOT NULL,
    bed                     text NOT NULL,
    ward                    text NOT NULL,
    status                  text NOT NULL CHECK (status IN ('occupied', 'free')),
    admission_id            text NOT NULL,
    person_id               bigint NOT NULL,
    schema_version          smallint NOT NULL,
    produced_at             timestamptz NOT NULL,
    processed_at            timestamptz NOT NULL DEFAULT now(),
    kafka_topic             text NOT NULL,
    kafka_partition         integer NOT NULL,
    kafka_offset            bigint NOT NULL
);
