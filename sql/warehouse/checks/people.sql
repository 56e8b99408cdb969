-- Rows of a staged people file that point nowhere: one row (problem, rows, an example) per problem found.
SELECT 'home_hospital is not a hospital of params region.hospitals' AS problem, count(*) AS n,
       min(s.home_hospital) AS example
FROM stage s
WHERE NOT EXISTS (SELECT 1 FROM {schema}.dim_hospital h WHERE h.hospital_id = s.home_hospital)
HAVING count(*) > 0;
