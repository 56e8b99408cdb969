-- The reason of a warehouse rule (06_rules.sql): the comment of the named CHECK constraint in the schema.
SELECT obj_description(c.oid, 'pg_constraint')
FROM pg_constraint c
JOIN pg_namespace n ON n.oid = c.connamespace
WHERE n.nspname = %(schema)s AND c.conname = %(name)s;
