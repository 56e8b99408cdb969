-- Staged admission events into stream.admissions, idempotent on event_id;
-- RETURNING names the new ones, so the processor knows which were already there.
INSERT INTO stream.admissions (
    event_id, schema_version, event_time, hospital_id, admission_id, person_id,
    visit_id, ward, bed, length_of_stay_days, planned_discharge_time, admission_type,
    produced_at, kafka_topic, kafka_partition, kafka_offset
)
SELECT
    event_id, schema_version, event_time, hospital_id, admission_id, person_id,
    visit_id, ward, bed, length_of_stay_days, planned_discharge_time, admission_type,
    produced_at, kafka_topic, kafka_partition, kafka_offset
FROM stage_admissions
ON CONFLICT (event_id) DO NOTHING
RETURNING event_id::text
