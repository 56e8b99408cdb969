-- The statements hospsim.reconcile runs, by name. {warehouse}, {stream} and {oltp} are the configured schemas
-- (params warehouse.schema, stream.schema, oltp.schema), bound as identifiers.

-- name: exists
SELECT to_regclass(format('%%I.%%I', %(schema)s::text, %(table)s::text)) IS NOT NULL

-- name: warehouse_stays
-- One row per stay the warehouse knows: from its admission, its discharge, or both. admitted says whether
-- the admission itself was loaded (a discharge row carries the admit time too).
SELECT coalesce(a.admission_id, d.admission_id) AS admission_id,
       coalesce(a.hospital_id, d.hospital_id)   AS hospital_id,
       coalesce(a.admit_time, d.admit_time)     AS admit_time,
       d.discharge_time,
       a.admission_id IS NOT NULL               AS admitted
FROM {warehouse}.fact_admission a
FULL JOIN {warehouse}.fact_discharge d ON d.admission_id = a.admission_id

-- name: stream_stays
-- The same from the stream tables (one event per admission and per discharge; a replay is a no-op there).
WITH a AS (SELECT DISTINCT ON (admission_id) admission_id, hospital_id, event_time AS admit_time
           FROM {stream}.admissions ORDER BY admission_id, event_time),
     d AS (SELECT DISTINCT ON (admission_id) admission_id, hospital_id, admit_time, event_time AS discharge_time
           FROM {stream}.discharges ORDER BY admission_id, event_time)
SELECT coalesce(a.admission_id, d.admission_id) AS admission_id,
       coalesce(a.hospital_id, d.hospital_id)   AS hospital_id,
       coalesce(a.admit_time, d.admit_time)     AS admit_time,
       d.discharge_time,
       a.admission_id IS NOT NULL               AS admitted
FROM a FULL JOIN d ON d.admission_id = a.admission_id

-- name: ledger_files
SELECT file_name FROM {warehouse}.ingest_ledger

-- name: table_last_change
-- When internacoes last changed (wall clock): its newest created_at or updated_at.
SELECT max(greatest(created_at, updated_at)) FROM {oltp}.internacoes

-- name: slot_behind
-- Bytes of WAL the slot has not confirmed (NULL when there is no such slot).
SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint
FROM pg_replication_slots WHERE slot_name = %(slot)s
