-- Where patient transfer events the upsert skipped were stored from: the same topic/partition/offset means a
-- redelivery (replayed); anything else means the same event was produced twice. `differs` compares the
-- content with the staged message (produced_at aside, a re-send stamps it anew): an event id seen before
-- with other content is no duplicate but a conflict, bound for the dead letters.
SELECT t.event_id::text, t.kafka_topic, t.kafka_partition, t.kafka_offset,
       (t.schema_version, t.event_time, t.hospital_id, t.transfer_id, t.person_id, t.visit_id, t.admission_id, t.origin_hospital_id, t.destination_hospital_id, t.ward, t.reason, t.request_time, t.arrival_time, t.distance_km) IS DISTINCT FROM
       (s.schema_version, s.event_time, s.hospital_id, s.transfer_id, s.person_id, s.visit_id, s.admission_id, s.origin_hospital_id, s.destination_hospital_id, s.ward, s.reason, s.request_time, s.arrival_time, s.distance_km) AS differs
FROM stream.patient_transfers t
JOIN stage_patient_transfers s USING (event_id)
WHERE t.event_id = ANY(%(ids)s::uuid[])
