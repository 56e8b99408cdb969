-- One batch of admission events into this connection's staging table (CSV from the processor).
COPY stage_admissions (
    event_id, schema_version, event_time, hospital_id, admission_id, person_id,
    visit_id, ward, bed, length_of_stay_days, planned_discharge_time, admission_type,
    produced_at, kafka_topic, kafka_partition, kafka_offset
) FROM STDIN WITH (FORMAT csv)
