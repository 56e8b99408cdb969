-- Of this batch's rejects, those no one has sent yet, locked until this transaction ends: a second member
-- replaying the same offsets skips rows being sent now and sees the sent ones as sent.
SELECT d.kafka_topic, d.kafka_partition, d.kafka_offset
FROM stream.dead_letters d
JOIN unnest(%(topics)s::text[], %(partitions)s::integer[], %(offsets)s::bigint[]) AS b(t, p, o)
  ON d.kafka_topic = b.t AND d.kafka_partition = b.p AND d.kafka_offset = b.o
WHERE d.sent_at IS NULL
FOR UPDATE OF d SKIP LOCKED
