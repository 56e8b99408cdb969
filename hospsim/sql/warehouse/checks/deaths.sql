-- Rows of a staged deaths file that point nowhere: one row (problem, rows, an example) per problem found.
-- Person ids inside key_span exist for sure: only the others probe dim_person.
SELECT 'person_id is not in the warehouse (people_data.csv or a births file)' AS problem, count(*) AS n,
       min(s.person_id)::text AS example
FROM stage s
WHERE s.person_id NOT BETWEEN coalesce((SELECT lo FROM {schema}.key_span WHERE dim = 'person'), 1)
                          AND coalesce((SELECT hi FROM {schema}.key_span WHERE dim = 'person'), 0)
  AND NOT EXISTS (SELECT 1 FROM {schema}.dim_person p WHERE p.person_id = s.person_id)
HAVING count(*) > 0
UNION ALL
SELECT 'hospital_id is not a hospital of params region.hospitals', count(*), min(s.hospital_id)
FROM stage s
WHERE s.hospital_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM {schema}.dim_hospital h WHERE h.hospital_id = s.hospital_id)
HAVING count(*) > 0
UNION ALL
SELECT 'date is outside the warehouse calendar dim_date (the simulated period of params, +-10 years)', count(*), min(s.death_time::date)::text
FROM stage s
WHERE s.death_time::date NOT BETWEEN (SELECT min(date_key) FROM {schema}.dim_date) AND (SELECT max(date_key) FROM {schema}.dim_date)
HAVING count(*) > 0;
