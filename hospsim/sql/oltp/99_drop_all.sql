-- Everything init made, and the replication slots whose name starts with the configured slot name
-- (Debezium's and hospsim's throughput slot): a slot keeps WAL while nobody reads it.
DROP PUBLICATION IF EXISTS {publication};

SELECT pg_terminate_backend(active_pid, 5000)  -- and wait for it to go, so the slot is free to drop
FROM pg_replication_slots
WHERE database = current_database() AND active AND starts_with(slot_name, {slot_prefix_name});

SELECT pg_drop_replication_slot(slot_name)
FROM pg_replication_slots
WHERE database = current_database() AND starts_with(slot_name, {slot_prefix_name});

DROP SCHEMA IF EXISTS {schema} CASCADE;
