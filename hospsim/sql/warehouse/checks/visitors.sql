-- Unknown people and hospitals, and dates off the calendar, in a staged daily_visitors file.
-- One anti-join per reference; a row (problem, rows, an example) for each problem found.
-- Person ids inside key_span exist for sure: only the others probe dim_person.
-- A visitor is the person: the same sex, and the age their birth date gives on the day.
SELECT 'person_id is not in the warehouse (people_data.csv)' AS problem, count(*) AS n, min(s.person_id)::text AS example
FROM stage s
WHERE s.person_id NOT BETWEEN coalesce((SELECT lo FROM {schema}.key_span WHERE dim = 'person'), 1)
                          AND coalesce((SELECT hi FROM {schema}.key_span WHERE dim = 'person'), 0)
  AND NOT EXISTS (SELECT 1 FROM {schema}.dim_person p WHERE p.person_id = s.person_id)
HAVING count(*) > 0
UNION ALL
SELECT 'hospital_id is not a hospital of params region.hospitals', count(*), min(s.hospital_id)
FROM stage s
WHERE NOT EXISTS (SELECT 1 FROM {schema}.dim_hospital h WHERE h.hospital_id = s.hospital_id)
HAVING count(*) > 0
UNION ALL
SELECT 'date is outside the warehouse calendar dim_date (the simulated period of params, +-10 years)', count(*), min(s.arrival_time::date)::text
FROM stage s
WHERE s.arrival_time::date NOT BETWEEN (SELECT min(date_key) FROM {schema}.dim_date) AND (SELECT max(date_key) FROM {schema}.dim_date)
HAVING count(*) > 0
UNION ALL
SELECT 'sex or age differs from the person''s (dim_person sex and birth_date; age may be a year off)', count(*),
       min(s.visit_id)
FROM stage s
JOIN {schema}.dim_person p ON p.person_id = s.person_id
WHERE (s.sex <> p.sex OR abs(s.age - extract(year FROM age(s.arrival_time::date, p.birth_date))) > 1)
  AND s.sex IN ('F', 'M') AND s.age BETWEEN 0 AND 120     -- the rules of 06_rules.sql name those better
HAVING count(*) > 0;
