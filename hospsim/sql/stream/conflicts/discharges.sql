-- Where discharge events the upsert skipped were stored from: the same topic/partition/offset means a
-- redelivery (replayed); anything else means the same event was produced twice. `differs` compares the
-- content with the staged message (produced_at aside, a re-send stamps it anew): an event id seen before
-- with other content is no duplicate but a conflict, bound for the dead letters.
SELECT t.event_id::text, t.kafka_topic, t.kafka_partition, t.kafka_offset,
       (t.schema_version, t.event_time, t.hospital_id, t.admission_id, t.person_id, t.ward, t.bed, t.admit_time, t.length_of_stay_days) IS DISTINCT FROM
       (s.schema_version, s.event_time, s.hospital_id, s.admission_id, s.person_id, s.ward, s.bed, s.admit_time, s.length_of_stay_days) AS differs
FROM stream.discharges t
JOIN stage_discharges s USING (event_id)
WHERE t.event_id = ANY(%(ids)s::uuid[])
