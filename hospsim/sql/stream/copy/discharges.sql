-- One batch of discharge events into this connection's staging table (CSV from the processor).
COPY stage_discharges (
    event_id, schema_version, event_time, hospital_id, admission_id, person_id,
    ward, bed, admit_time, length_of_stay_days, produced_at, kafka_topic,
    kafka_partition, kafka_offset
) FROM STDIN WITH (FORMAT csv)
