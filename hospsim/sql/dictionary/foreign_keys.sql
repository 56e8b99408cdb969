-- Declared foreign keys of a schema (NOT ENFORCED ones too): child table, parent table, the child's columns.
SELECT child.relname, parent.relname,
       (SELECT string_agg(a.attname, ', ' ORDER BY k.n)
        FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, n)
        JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum)
FROM pg_constraint con
JOIN pg_class child ON child.oid = con.conrelid
JOIN pg_class parent ON parent.oid = con.confrelid
JOIN pg_namespace ns ON ns.oid = child.relnamespace
WHERE con.contype = 'f' AND ns.nspname = %(schema)s
ORDER BY child.relname, parent.relname, 3;
