-- The fast path: a batch of new emergency_transport events straight into the table (inside a savepoint; a
-- unique violation means some were stored already, and the batch takes the staging path instead).
COPY stream.emergency_transports (
    event_id, schema_version, event_time, hospital_id, transport_id, person_id,
    visit_id, priority, pickup_time, arrival_time, distance_km, produced_at,
    kafka_topic, kafka_partition, kafka_offset
) FROM STDIN WITH (FORMAT csv)
