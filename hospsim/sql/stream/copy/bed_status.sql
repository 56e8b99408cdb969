-- One batch of bed_status events into this connection's staging table (CSV from the processor).
COPY stage_bed_status (
    event_id, schema_version, event_time, hospital_id, bed, ward,
    status, admission_id, person_id, produced_at, kafka_topic, kafka_partition,
    kafka_offset
) FROM STDIN WITH (FORMAT csv)
