-- Staged patient_transfer events into stream.patient_transfers, idempotent on event_id;
-- RETURNING names the new ones, so the processor knows which were already there.
INSERT INTO stream.patient_transfers (
    event_id, schema_version, event_time, hospital_id, transfer_id, person_id,
    visit_id, admission_id, origin_hospital_id, destination_hospital_id, ward, reason,
    request_time, arrival_time, distance_km, produced_at, kafka_topic, kafka_partition,
    kafka_offset
)
SELECT
    event_id, schema_version, event_time, hospital_id, transfer_id, person_id,
    visit_id, admission_id, origin_hospital_id, destination_hospital_id, ward, reason,
    request_time, arrival_time, distance_km, produced_at, kafka_topic, kafka_partition,
    kafka_offset
FROM stage_patient_transfers
ON CONFLICT (event_id) DO NOTHING
RETURNING event_id::text
