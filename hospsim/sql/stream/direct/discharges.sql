-- The fast path: a batch of new discharge events straight into the table (inside a savepoint; a
-- unique violation means some were stored already, and the batch takes the staging path instead).
COPY stream.discharges (
    event_id, schema_version, event_time, hospital_id, admission_id, person_id,
    ward, bed, admit_time, length_of_stay_days, produced_at, kafka_topic,
    kafka_partition, kafka_offset
) FROM STDIN WITH (FORMAT csv)
