-- The fast path: a batch of new patient_transfer events straight into the table (inside a savepoint; a
-- unique violation means some were stored already, and the batch takes the staging path instead).
COPY stream.patient_transfers (
    event_id, schema_version, event_time, hospital_id, transfer_id, person_id,
    visit_id, admission_id, origin_hospital_id, destination_hospital_id, ward, reason,
    request_time, arrival_time, distance_km, produced_at, kafka_topic, kafka_partition,
    kafka_offset
) FROM STDIN WITH (FORMAT csv)
