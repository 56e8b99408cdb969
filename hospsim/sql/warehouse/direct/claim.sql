-- Direct load: is the target still empty? The lock keeps it so (no other writer) until this file commits,
-- and hospsim.file_id fills the file_id column of the copied rows (its DEFAULT reads the setting).
-- Run inside a savepoint: rolling it back releases the lock and the setting when the table is not empty.
LOCK TABLE {schema}.{table} IN SHARE ROW EXCLUSIVE MODE;
SELECT set_config('hospsim.file_id', %(file_id)s::text, true);
SELECT NOT EXISTS (SELECT 1 FROM {schema}.{table});
