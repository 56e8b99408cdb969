-- The claimed rejects are in the dead-letter sink now.
UPDATE stream.dead_letters d SET sent_at = now()
FROM unnest(%(topics)s::text[], %(partitions)s::integer[], %(offsets)s::bigint[]) AS b(t, p, o)
WHERE d.kafka_topic = b.t AND d.kafka_partition = b.p AND d.kafka_offset = b.o
