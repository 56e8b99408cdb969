-- Staged emergency_transport events into stream.emergency_transports, idempotent on event_id;
-- RETURNING names the new ones, so the processor knows which were already there.
INSERT INTO stream.emergency_transports (
    event_id, schema_version, event_time, hospital_id, transport_id, person_id,
    visit_id, priority, pickup_time, arrival_time, distance_km, produced_at,
    kafka_topic, kafka_partition, kafka_offset
)
SELECT
    event_id, schema_version, event_time, hospital_id, transport_id, person_id,
    visit_id, priority, pickup_time, arrival_time, distance_km, produced_at,
    kafka_topic, kafka_partition, kafka_offset
FROM stage_emergency_transports
ON CONFLICT (event_id) DO NOTHING
RETURNING event_id::text
