-- The statements hospsim.stream runs, by name (hospsim.sqlfiles.render("stream/queries.sql", name, ...)).
-- {schema} is params stream.schema, bound as an identifier; %(x)s are psycopg2 parameters. The per-event
-- statements (direct, stage, upsert, conflicts) take their {table}, {stage} and column lists from the event
-- registry (hospsim.stream.tables), so a column is named once, in the event's JSON schema.

-- name: schema_ready
-- The stream objects that are missing (0 = ready). Checked before any DDL: CREATE INDEX IF NOT EXISTS takes
-- a ShareLock on its table even when the index is there, which deadlocks with running processors' inserts.
SELECT count(*) FILTER (WHERE to_regclass(format('%%I.%%I', %(schema)s::text, name)) IS NULL)
FROM unnest(%(names)s::text[]) AS name

-- name: schema_exists
SELECT to_regclass(format('%%I.bed_status', %(schema)s::text)) IS NOT NULL

-- name: sessions_exist
SELECT to_regclass(format('%%I.sessions', %(schema)s::text)) IS NOT NULL

-- name: event_table
-- One event type's table (hospsim.stream.tables.ddl): its columns follow the event's JSON schema (event_type
-- is the table), keyed on the deterministic event id, so a replayed message is a no-op (INSERT ... ON
-- CONFLICT (event_id) DO NOTHING); the last four say when and where the row came from.
CREATE TABLE IF NOT EXISTS {schema}.{table} (
    {columns},
    processed_at            timestamptz NOT NULL DEFAULT now(),
    kafka_topic             text NOT NULL,
    kafka_partition         integer NOT NULL,
    kafka_offset            bigint NOT NULL
)

-- name: event_index
-- What the notebooks ask: one hospital's events over simulated time. (No index on processed_at: the
-- throughput query reads whole tables anyway, and every index costs the processor on each insert.)
CREATE INDEX IF NOT EXISTS {index} ON {schema}.{table} ({key}, event_time)

-- name: event_stage
-- This connection's staging table of one event type: COPY lands a batch here, then one INSERT ... SELECT
-- upserts it. ON COMMIT DELETE ROWS empties it at every COMMIT, so a batch never sees the previous one; the
-- defaults fill processed_at, which LIKE keeps NOT NULL.
CREATE TEMP TABLE IF NOT EXISTS {stage} (LIKE {schema}.{table} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS

-- name: lock_timeout
-- Schema creation waits this long for a table lock, then gives up and is retried (never an endless wait).
SET LOCAL lock_timeout = '5s'

-- name: direct
-- The fast path: a batch of new events straight into the table (inside a savepoint; a unique violation
-- means some were stored already, and the batch takes the staging path instead). CSV from the processor.
COPY {schema}.{table} ({columns}) FROM STDIN WITH (FORMAT csv)

-- name: stage
-- One batch of events into this connection's staging table (CSV from the processor).
COPY {stage} ({columns}) FROM STDIN WITH (FORMAT csv)

-- name: upsert
-- Staged events into their table, idempotent on event_id; RETURNING names the new ones, so the processor
-- knows which were already there.
INSERT INTO {schema}.{table} ({columns})
SELECT {columns} FROM {stage}
ON CONFLICT (event_id) DO NOTHING
RETURNING event_id::text

-- name: conflicts
-- Where events the upsert skipped were stored from: the same topic/partition/offset means a redelivery
-- (replayed); anything else means the same event was produced twice. `differs` compares the content with
-- the staged message (produced_at aside, a re-send stamps it anew): an event id seen before with other
-- content is no duplicate but a conflict, bound for the dead letters.
SELECT t.event_id::text, t.kafka_topic, t.kafka_partition, t.kafka_offset,
       ({stored}) IS DISTINCT FROM ({staged}) AS differs
FROM {schema}.{table} t
JOIN {stage} s USING (event_id)
WHERE t.event_id = ANY(%(ids)s::uuid[])

-- name: dead_letter_record
-- A batch's rejects into the ledger (execute_values fills VALUES); a replay finds them there already.
INSERT INTO {schema}.dead_letters (kafka_topic, kafka_partition, kafka_offset, message_md5, reason)
VALUES %s
ON CONFLICT (kafka_topic, kafka_partition, kafka_offset, message_md5) DO NOTHING

-- name: dead_letter_claim
-- Of a batch's rejects, those no one has sent yet, locked until this transaction ends: a second member
-- replaying the same offsets waits for them, then sees them sent.
SELECT d.kafka_topic, d.kafka_partition, d.kafka_offset, d.message_md5
FROM {schema}.dead_letters d
JOIN unnest(%(topics)s::text[], %(partitions)s::integer[], %(offsets)s::bigint[], %(digests)s::text[])
  AS b(t, p, o, m)
  ON d.kafka_topic = b.t AND d.kafka_partition = b.p AND d.kafka_offset = b.o AND d.message_md5 = b.m
WHERE d.sent_at IS NULL
FOR UPDATE OF d

-- name: dead_letter_sent
-- The claimed rejects are in the dead-letter sink now.
UPDATE {schema}.dead_letters d SET sent_at = now()
FROM unnest(%(topics)s::text[], %(partitions)s::integer[], %(offsets)s::bigint[], %(digests)s::text[])
  AS b(t, p, o, m)
WHERE d.kafka_topic = b.t AND d.kafka_partition = b.p AND d.kafka_offset = b.o AND d.message_md5 = b.m
  AND d.sent_at IS NULL

-- name: session_insert
INSERT INTO {schema}.sessions (run_id, path, mode, target_per_s, events, produced_per_s, consumed_per_s,
                               started_at, finished_at)
VALUES (%(run_id)s, %(path)s, %(mode)s, %(target_per_s)s, %(events)s, %(produced_per_s)s, %(consumed_per_s)s,
        %(started_at)s, %(finished_at)s)
RETURNING session_id

-- name: session_runs
-- The runs whose events the stream tables hold.
SELECT DISTINCT run_id FROM {schema}.sessions

-- name: counts
-- Rows per stream table and the simulated period they cover: table_counts of every event table, joined by
-- UNION ALL (hospsim.stream.tables.union).
{tables}

-- name: table_counts
SELECT {name} AS "table", count(*) AS events, min(event_time) AS first_event, max(event_time) AS last_event
FROM {schema}.{table}

-- name: throughput
-- Events per topic and wall-clock second: produced (producer's stamp) and consumed (the processor's commit);
-- e is table_stamps of every event table, joined by UNION ALL.
WITH e AS ({tables})
SELECT kafka_topic AS topic, 'produced' AS what, date_trunc('second', produced_at) AS second, count(*) AS events
FROM e GROUP BY 1, 2, 3
UNION ALL
SELECT kafka_topic, 'consumed', date_trunc('second', processed_at), count(*)
FROM e GROUP BY 1, 2, 3
ORDER BY 3, 1, 2

-- name: table_stamps
SELECT kafka_topic, produced_at, processed_at FROM {schema}.{table}

-- name: processed_span
-- First and last commit time over every event table (processed_at is the storing transaction's start) and
-- the events stored; e is table_stamps of every event table, joined by UNION ALL.
WITH e AS ({tables})
SELECT min(processed_at) AS first, max(processed_at) AS last, count(*) AS events FROM e
