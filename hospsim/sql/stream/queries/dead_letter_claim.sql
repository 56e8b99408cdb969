-- Of a batch's rejects, those no one has sent yet, locked until this transaction ends: a second member
-- replaying the same offsets waits for them, then sees them sent.
SELECT d.kafka_topic, d.kafka_partition, d.kafka_offset, d.message_md5
FROM stream.dead_letters d
JOIN unnest(%(topics)s::text[], %(partitions)s::integer[], %(offsets)s::bigint[], %(digests)s::text[])
  AS b(t, p, o, m)
  ON d.kafka_topic = b.t AND d.kafka_partition = b.p AND d.kafka_offset = b.o AND d.message_md5 = b.m
WHERE d.sent_at IS NULL
FOR UPDATE OF d
