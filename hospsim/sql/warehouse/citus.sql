-- The warehouse on Citus (distributed PostgreSQL), rendered by hospsim.warehouse.citus from the catalog of a
-- warehouse the plain DDL made, so both come from the same files. {schema} is params warehouse.schema.
-- Facts are distributed by hospital and co-located; every other table (dimensions, the ingest ledger) is a
-- reference table, copied to each worker, so the facts join it locally.

-- name: tables
-- Each table of the schema: its primary key's name and columns in key order, and the hospital column it
-- would be distributed by (the first of hospital_id, origin_hospital_id it has), or null.
SELECT c.relname AS table_name,
       k.conname AS key_name,
       array(SELECT a.attname FROM unnest(k.conkey) WITH ORDINALITY AS u(attnum, n)
             JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = u.attnum ORDER BY u.n)::text[] AS key_columns,
       (SELECT a.attname FROM pg_attribute a
        WHERE a.attrelid = c.oid AND a.attname IN ('hospital_id', 'origin_hospital_id') AND NOT a.attisdropped
        ORDER BY a.attname = 'hospital_id' DESC LIMIT 1)::text AS hospital_column
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_constraint k ON k.conrelid = c.oid AND k.contype = 'p'
WHERE n.nspname = %(schema)s AND c.relkind IN ('r', 'p')
ORDER BY c.relname

-- name: header
-- Citus needs the distribution column in every unique key, so a fact's primary key becomes its hospital
-- then its own id; the ids stay unique on their own, as the simulation makes them.
CREATE EXTENSION IF NOT EXISTS citus;

-- name: reference
-- {name} is the table's qualified name as a text literal (the function takes a regclass).
SELECT create_reference_table({name});

-- name: rekey
ALTER TABLE {schema}.{table} DROP CONSTRAINT {key}, ADD CONSTRAINT {key} PRIMARY KEY ({columns});

-- name: distribute
SELECT create_distributed_table({name}, {column}, colocate_with => {colocate});

-- name: add_worker
-- A worker node joins the cluster (again is a no-op that returns its id).
SELECT citus_add_node(%(host)s, %(port)s)
