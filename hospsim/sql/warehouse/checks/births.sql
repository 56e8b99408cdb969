-- Rows of a staged births file that point nowhere: one row (problem, rows, an example) per problem found.
-- The mother must be in the warehouse (people_data.csv, or an earlier births file); the baby is born on the day.
SELECT 'mother_id is not in the warehouse (people_data.csv or an earlier births file)' AS problem, count(*) AS n,
       min(s.mother_id)::text AS example
FROM stage s
WHERE NOT EXISTS (SELECT 1 FROM {schema}.dim_person p WHERE p.person_id = s.mother_id)
HAVING count(*) > 0
UNION ALL
SELECT 'hospital_id or home_hospital is not a hospital of params region.hospitals', count(*),
       min(s.hospital_id || '/' || s.home_hospital)
FROM stage s
WHERE NOT EXISTS (SELECT 1 FROM {schema}.dim_hospital h WHERE h.hospital_id = s.hospital_id)
   OR NOT EXISTS (SELECT 1 FROM {schema}.dim_hospital h WHERE h.hospital_id = s.home_hospital)
HAVING count(*) > 0
UNION ALL
SELECT 'birth_date is not the day of birth_time', count(*), min(s.person_id)::text
FROM stage s
WHERE s.birth_date <> s.birth_time::date
HAVING count(*) > 0
UNION ALL
SELECT 'date is outside the warehouse calendar dim_date (the simulated period of params, +-10 years)', count(*), min(s.birth_date)::text
FROM stage s
WHERE s.birth_date NOT BETWEEN (SELECT min(date_key) FROM {schema}.dim_date) AND (SELECT max(date_key) FROM {schema}.dim_date)
HAVING count(*) > 0;
