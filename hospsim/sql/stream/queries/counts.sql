-- Rows per stream table and the simulated period they cover.
SELECT 'emergency_transports' AS "table", count(*) AS events, min(event_time) AS first_event, max(event_time) AS last_event FROM stream.emergency_transports
UNION ALL SELECT 'patient_transfers', count(*), min(event_time), max(event_time) FROM stream.patient_transfers
UNION ALL SELECT 'admissions', count(*), min(event_time), max(event_time) FROM stream.admissions
UNION ALL SELECT 'discharges', count(*), min(event_time), max(event_time) FROM stream.discharges
UNION ALL SELECT 'bed_status', count(*), min(event_time), max(event_time) FROM stream.bed_status
