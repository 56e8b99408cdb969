-- The dead-letter ledger: one row per rejected message, by where it came from. The processor records a
-- reject in the same transaction as its batch's rows, and marks it sent once the dead-letter topic has
-- it; a replay after a crash, a heartbeat expiry or a rebalance finds the row and does not send it again.
-- (The schema lock of 01_schema.sql is held: the files run in one transaction.)
CREATE TABLE IF NOT EXISTS stream.dead_letters (
    kafka_topic             text NOT NULL,
    kafka_partition         integer NOT NULL,
    kafka_offset            bigint NOT NULL,
    reason                  text NOT NULL,
    rejected_at             timestamptz NOT NULL DEFAULT now(),
    sent_at                 timestamptz,             -- null until the dead-letter sink took it
    PRIMARY KEY (kafka_topic, kafka_partition, kafka_offset)
);
