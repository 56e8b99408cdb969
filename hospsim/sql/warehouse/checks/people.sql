-- Rows of a staged people file that point nowhere: one row (problem, rows, an example) per problem found.
SELECT 'home_hospital is not a hospital of params region.hospitals' AS problem, count(*) AS n,
       min(s.home_hospital) AS example
FROM stage s
WHERE NOT EXISTS (SELECT 1 FROM {schema}.dim_hospital h WHERE h.hospital_id = s.home_hospital)
HAVING count(*) > 0
UNION ALL
SELECT 'birth_date is after the first simulated day or more than 120 years before it', count(*), min(s.birth_date)::text
FROM stage s
WHERE s.birth_date > %(start_date)s::date OR s.birth_date <= %(start_date)s::date - interval '121 years'
HAVING count(*) > 0;
