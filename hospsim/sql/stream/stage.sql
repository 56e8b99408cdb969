-- Per-connection staging tables: COPY lands a batch here, then one INSERT ... SELECT upserts it.
-- ON COMMIT DELETE ROWS empties them at every COMMIT, so a batch never sees the previous one; the defaults
-- fill processed_at, which LIKE keeps NOT NULL.
CREATE TEMP TABLE IF NOT EXISTS stage_emergency_transports (LIKE {schema}.emergency_transports INCLUDING DEFAULTS) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS stage_patient_transfers (LIKE {schema}.patient_transfers INCLUDING DEFAULTS) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS stage_admissions (LIKE {schema}.admissions INCLUDING DEFAULTS) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS stage_discharges (LIKE {schema}.discharges INCLUDING DEFAULTS) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS stage_bed_status (LIKE {schema}.bed_status INCLUDING DEFAULTS) ON COMMIT DELETE ROWS;
