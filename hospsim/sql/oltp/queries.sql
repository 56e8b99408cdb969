-- The statements hospsim.oltp and hospsim.cdc run, by name (see hospsim.oltp.schema.query).
-- {schema}, {schema_name} etc. are filled in by hospsim; %(x)s are psycopg2 parameters.

-- name: schema_ready
SELECT to_regprocedure({schema_name} || '.apply_stream_batch(bigint,jsonb,timestamptz)') IS NOT NULL;

-- name: counts
SELECT tabela, linhas FROM {schema}.table_counts();

-- name: lookups
SELECT name, ids FROM {schema}.stream_lookups();

-- name: copy_into
COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv);

-- name: insert_row
-- One row, as the original simulator loaded its seed (the benchmark's baseline).
INSERT INTO {table} ({columns}) VALUES ({values});

-- name: sync_sequences
SELECT {schema}.sync_sequences();

-- name: stream_lock
SELECT pg_try_advisory_lock(hashtextextended('hospsim.oltp.stream:' || {schema_name}, 0));

-- name: apply_batch
SELECT tbl, op, ids FROM {schema}.apply_stream_batch(%(batch_id)s, %(batch)s, %(floor)s);

-- name: stream_state
SELECT last_batch, counts FROM {schema}.stream_state;

-- name: slot_exists
SELECT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = %(slot)s AND database = current_database());

-- name: slot_active
-- A reader (Debezium) streams from the slot now.
SELECT active FROM pg_replication_slots WHERE slot_name = %(slot)s AND database = current_database();

-- name: create_slot
SELECT lsn::text FROM pg_create_logical_replication_slot(%(slot)s, 'pgoutput');

-- name: drop_slot
SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = %(slot)s;

-- name: slot_change_counts
-- pgoutput messages decoded in SQL: 'B' (66) begin carries the commit time (microseconds since 2000-01-01 at
-- bytes 10-17), 'I' (73) / 'U' (85) / 'D' (68) carry the relation oid at bytes 2-5. {read_changes} is
-- pg_logical_slot_peek_binary_changes (look) or pg_logical_slot_get_binary_changes (consume).
WITH msg AS (
    SELECT xid, data, get_byte(data, 0) AS kind
    FROM {read_changes}(%(slot)s, NULL, NULL, 'proto_version', '1', 'publication_names', %(publication)s)
), tx AS (
    SELECT xid, to_timestamp(946684800 + ('x' || encode(substring(data FROM 10 FOR 8), 'hex'))::bit(64)::bigint / 1e6)
           AS committed_at
    FROM msg WHERE kind = 66
), ch AS (
    SELECT xid, ('x' || encode(substring(data FROM 2 FOR 4), 'hex'))::bit(32)::bigint::oid AS relid,
           CASE kind WHEN 73 THEN 'INSERT' WHEN 85 THEN 'UPDATE' ELSE 'DELETE' END AS op
    FROM msg WHERE kind IN (73, 85, 68)
)
SELECT date_bin(make_interval(secs => %(bucket_seconds)s), tx.committed_at, timestamptz '2000-01-01 00:00+00')
           AS time_bucket,
       c.relname::text AS "table", ch.op, count(*) AS count
FROM ch
JOIN tx USING (xid)
JOIN pg_class c ON c.oid = ch.relid
GROUP BY 1, 2, 3
ORDER BY 1, 2, 3;
