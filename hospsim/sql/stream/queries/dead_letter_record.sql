-- A batch's rejects into the ledger (execute_values fills VALUES); a replay finds them there already.
INSERT INTO stream.dead_letters (kafka_topic, kafka_partition, kafka_offset, message_md5, reason)
VALUES %s
ON CONFLICT (kafka_topic, kafka_partition, kafka_offset, message_md5) DO NOTHING
