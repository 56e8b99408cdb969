-- The fast path: a batch of new admission events straight into the table (inside a savepoint; a
-- unique violation means some were stored already, and the batch takes the staging path instead).
COPY stream.admissions (
    event_id, schema_version, event_time, hospital_id, admission_id, person_id,
    visit_id, ward, bed, length_of_stay_days, planned_discharge_time, admission_type,
    produced_at, kafka_topic, kafka_partition, kafka_offset
) FROM STDIN WITH (FORMAT csv)
