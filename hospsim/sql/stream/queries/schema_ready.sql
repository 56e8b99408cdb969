-- The stream objects that are missing (0 = ready). Checked before any DDL: CREATE INDEX IF NOT EXISTS takes
-- a ShareLock on its table even when the index is there, which deadlocks with running processors' inserts.
SELECT count(*) FILTER (WHERE to_regclass(name) IS NULL)
FROM unnest(ARRAY[
    'stream.emergency_transports', 'stream.patient_transfers', 'stream.admissions', 'stream.discharges',
    'stream.bed_status', 'stream.dead_letters', 'stream.sessions',
    'stream.emergency_transports_hospital_time', 'stream.patient_transfers_hospital_time',
    'stream.admissions_hospital_time', 'stream.discharges_hospital_time', 'stream.bed_status_hospital_time'
]) AS name
