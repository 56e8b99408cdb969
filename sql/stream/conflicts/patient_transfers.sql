-- Where patient_transfer events the upsert skipped were stored from: the same topic/partition/offset means a
-- redelivery (replayed); anything else means the same event was produced twice.
SELECT event_id::text, kafka_topic, kafka_partition, kafka_offset
FROM stream.patient_transfers
WHERE event_id = ANY(%(ids)s::uuid[])
