-- One batch of patient_transfer events into this connection's staging table (CSV from the processor).
COPY stage_patient_transfers (
    event_id, schema_version, event_time, hospital_id, transfer_id, person_id,
    visit_id, admission_id, origin_hospital_id, destination_hospital_id, ward, reason,
    request_time, arrival_time, distance_km, produced_at, kafka_topic, kafka_partition,
    kafka_offset
) FROM STDIN WITH (FORMAT csv)
