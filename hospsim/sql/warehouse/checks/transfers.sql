-- Unknown people, origin hospitals and destination wards in a staged transfers file.
-- One anti-join per reference; a row (problem, rows, an example) for each problem found.
-- Person ids inside key_span exist for sure: only the others probe dim_person.
SELECT 'person_id is not in the warehouse (people_data.csv)' AS problem, count(*) AS n, min(s.person_id)::text AS example
FROM stage s
WHERE s.person_id NOT BETWEEN coalesce((SELECT lo FROM {schema}.key_span WHERE dim = 'person'), 1)
                          AND coalesce((SELECT hi FROM {schema}.key_span WHERE dim = 'person'), 0)
  AND NOT EXISTS (SELECT 1 FROM {schema}.dim_person p WHERE p.person_id = s.person_id)
HAVING count(*) > 0
UNION ALL
SELECT 'origin_hospital_id is not a hospital of params region.hospitals', count(*), min(s.origin_hospital_id)
FROM stage s
WHERE NOT EXISTS (SELECT 1 FROM {schema}.dim_hospital h WHERE h.hospital_id = s.origin_hospital_id)
HAVING count(*) > 0
UNION ALL
SELECT 'destination_hospital_id/ward is not a ward of params region.hospitals', count(*), min(s.destination_hospital_id || '/' || s.ward)
FROM stage s
WHERE NOT EXISTS (SELECT 1 FROM {schema}.dim_ward w WHERE w.hospital_id = s.destination_hospital_id AND w.ward = s.ward)
HAVING count(*) > 0
UNION ALL
SELECT 'date is outside the warehouse calendar dim_date (the simulated period of params, +-10 years)', count(*), min(s.request_time::date)::text
FROM stage s
WHERE s.request_time::date NOT BETWEEN (SELECT min(date_key) FROM {schema}.dim_date) AND (SELECT max(date_key) FROM {schema}.dim_date)
HAVING count(*) > 0;
