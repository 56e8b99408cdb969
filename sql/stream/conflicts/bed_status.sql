-- Where bed_status events the upsert skipped were stored from: the same topic/partition/offset means a
-- redelivery (replayed); anything else means the same event was produced twice.
SELECT event_id::text, kafka_topic, kafka_partition, kafka_offset
FROM stream.bed_status
WHERE event_id = ANY(%(ids)s::uuid[])
