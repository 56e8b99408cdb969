-- One batch of emergency_transport events into this connection's staging table (CSV from the processor).
COPY stage_emergency_transports (
    event_id, schema_version, event_time, hospital_id, transport_id, person_id,
    visit_id, priority, pickup_time, arrival_time, distance_km, produced_at,
    kafka_topic, kafka_partition, kafka_offset
) FROM STDIN WITH (FORMAT csv)
