-- The fast path: a batch of new bed_status events straight into the table (inside a savepoint; a
-- unique violation means some were stored already, and the batch takes the staging path instead).
COPY stream.bed_status (
    event_id, schema_version, event_time, hospital_id, bed, ward,
    status, admission_id, person_id, produced_at, kafka_topic, kafka_partition,
    kafka_offset
) FROM STDIN WITH (FORMAT csv)
