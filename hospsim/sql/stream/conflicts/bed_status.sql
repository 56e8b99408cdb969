-- Where bed status events the upsert skipped were stored from: the same topic/partition/offset means a
-- redelivery (replayed); anything else means the same event was produced twice. `differs` compares the
-- content with the staged message (produced_at aside, a re-send stamps it anew): an event id seen before
-- with other content is no duplicate but a conflict, bound for the dead letters.
SELECT t.event_id::text, t.kafka_topic, t.kafka_partition, t.kafka_offset,
       (t.schema_version, t.event_time, t.hospital_id, t.bed, t.ward, t.status, t.admission_id, t.person_id) IS DISTINCT FROM
       (s.schema_version, s.event_time, s.hospital_id, s.bed, s.ward, s.status, s.admission_id, s.person_id) AS differs
FROM stream.bed_status t
JOIN stage_bed_status s USING (event_id)
WHERE t.event_id = ANY(%(ids)s::uuid[])
