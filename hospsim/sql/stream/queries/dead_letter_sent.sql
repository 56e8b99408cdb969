-- The claimed rejects are in the dead-letter sink now.
UPDATE stream.dead_letters d SET sent_at = now()
FROM unnest(%(topics)s::text[], %(partitions)s::integer[], %(offsets)s::bigint[], %(digests)s::text[])
  AS b(t, p, o, m)
WHERE d.kafka_topic = b.t AND d.kafka_partition = b.p AND d.kafka_offset = b.o AND d.message_md5 = b.m
  AND d.sent_at IS NULL
