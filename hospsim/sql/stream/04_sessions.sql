-- Stream sessions (hospsim.{schema}.sessions): each delivery of a run's events, its pace and measured rates.
-- The run_id says which world the stream tables hold; a session of another run is refused before it sends.
-- (The schema lock of 01_schema.sql is held: the files run in one transaction.)
CREATE TABLE IF NOT EXISTS {schema}.sessions (
    session_id     INTEGER GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id         TEXT        NOT NULL,
    path           TEXT        NOT NULL CHECK (path IN ('kafka', 'in-process')),
    mode           TEXT        NOT NULL,
    target_per_s   DOUBLE PRECISION,
    events         BIGINT      NOT NULL CHECK (events >= 0),
    produced_per_s DOUBLE PRECISION,
    consumed_per_s DOUBLE PRECISION,
    started_at     TIMESTAMPTZ NOT NULL,
    finished_at    TIMESTAMPTZ
);
