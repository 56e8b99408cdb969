-- This batch's rejects into the ledger (execute_values fills VALUES); a replay finds them there already.
INSERT INTO stream.dead_letters (kafka_topic, kafka_partition, kafka_offset, reason)
VALUES %s
ON CONFLICT (kafka_topic, kafka_partition, kafka_offset) DO NOTHING
