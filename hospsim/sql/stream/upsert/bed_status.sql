-- Staged bed_status events into stream.bed_status, idempotent on event_id;
-- RETURNING names the new ones, so the processor knows which were already there.
INSERT INTO stream.bed_status (
    event_id, schema_version, event_time, hospital_id, bed, ward,
    status, admission_id, person_id, produced_at, kafka_topic, kafka_partition,
    kafka_offset
)
SELECT
    event_id, schema_version, event_time, hospital_id, bed, ward,
    status, admission_id, person_id, produced_at, kafka_topic, kafka_partition,
    kafka_offset
FROM stage_bed_status
ON CONFLICT (event_id) DO NOTHING
RETURNING event_id::text
