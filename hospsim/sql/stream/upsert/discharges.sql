-- Staged discharge events into stream.discharges, idempotent on event_id;
-- RETURNING names the new ones, so the processor knows which were already there.
INSERT INTO stream.discharges (
    event_id, schema_version, event_time, hospital_id, admission_id, person_id,
    ward, bed, admit_time, length_of_stay_days, produced_at, kafka_topic,
    kafka_partition, kafka_offset
)
SELECT
    event_id, schema_version, event_time, hospital_id, admission_id, person_id,
    ward, bed, admit_time, length_of_stay_days, produced_at, kafka_topic,
    kafka_partition, kafka_offset
FROM stage_discharges
ON CONFLICT (event_id) DO NOTHING
RETURNING event_id::text
