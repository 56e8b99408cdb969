-- Unknown roles in a staged reserve_pool file.
-- One anti-join per reference; a row (problem, rows, an example) for each problem found.
SELECT 'role is not a workforce role' AS problem, count(*) AS n, min(s.role) AS example
FROM stage s
WHERE NOT EXISTS (SELECT 1 FROM {schema}.dim_role r WHERE r.role = s.role)
HAVING count(*) > 0;
