-- What the notebooks ask: one hospital's events over simulated time. (No index on processed_at: the
-- throughput query reads whole tables anyway, and every index costs the processor on each insert.)
CREATE INDEX IF NOT EXISTS emergency_transports_hospital_time ON {schema}.emergency_transports (hospital_id, event_time);
CREATE INDEX IF NOT EXISTS patient_transfers_hospital_time ON {schema}.patient_transfers (hospital_id, event_time);
CREATE INDEX IF NOT EXISTS admissions_hospital_time ON {schema}.admissions (hospital_id, event_time);
CREATE INDEX IF NOT EXISTS discharges_hospital_time ON {schema}.discharges (hospital_id, event_time);
CREATE INDEX IF NOT EXISTS bed_status_hospital_time ON {schema}.bed_status (hospital_id, event_time);
