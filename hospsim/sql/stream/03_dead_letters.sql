-- The dead-letter ledger: one row per rejected message, by where it came from and a digest of its key and
-- value. The processor records its rejects here and marks them sent once the dead-letter topic has them;
-- a replay after a crash, a heartbeat expiry or a rebalance finds them sent and does not send them again.
-- (The schema lock of 01_schema.sql is held: the files run in one transaction.)
CREATE TABLE IF NOT EXISTS {schema}.dead_letters (
    kafka_topic             text NOT NULL,
    kafka_partition         integer NOT NULL,
    kafka_offset            bigint NOT NULL,
    message_md5             text NOT NULL,           -- another message at a reused offset is another reject
    reason                  text NOT NULL,
    rejected_at             timestamptz NOT NULL DEFAULT now(),
    sent_at                 timestamptz,             -- null until the dead-letter sink took it
    PRIMARY KEY (kafka_topic, kafka_partition, kafka_offset, message_md5)
);
