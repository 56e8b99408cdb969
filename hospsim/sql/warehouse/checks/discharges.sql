-- Unknown people and wards, and dates off the calendar, in a staged discharges file.
-- One anti-join per reference; a row (problem, rows, an example) for each problem found.
-- Person ids inside key_span exist for sure: only the others probe dim_person.
-- The admission discharged must be in the warehouse and match it, unless it was admitted before the end of the
-- first simulated day: the warm-up's patients (in bed on day one) have admissions no file carries.
SELECT 'person_id is not in the warehouse (people_data.csv)' AS problem, count(*) AS n, min(s.person_id)::text AS example
FROM stage s
WHERE s.person_id NOT BETWEEN coalesce((SELECT lo FROM {schema}.key_span WHERE dim = 'person'), 1)
                          AND coalesce((SELECT hi FROM {schema}.key_span WHERE dim = 'person'), 0)
  AND NOT EXISTS (SELECT 1 FROM {schema}.dim_person p WHERE p.person_id = s.person_id)
HAVING count(*) > 0
UNION ALL
SELECT 'hospital_id/ward is not a ward of params region.hospitals', count(*), min(s.hospital_id || '/' || s.ward)
FROM stage s
WHERE NOT EXISTS (SELECT 1 FROM {schema}.dim_ward w WHERE w.hospital_id = s.hospital_id AND w.ward = s.ward)
HAVING count(*) > 0
UNION ALL
SELECT 'date is outside the warehouse calendar dim_date (the simulated period of params, +-10 years)', count(*), min(s.discharge_time::date)::text
FROM stage s
WHERE s.discharge_time::date NOT BETWEEN (SELECT min(date_key) FROM {schema}.dim_date) AND (SELECT max(date_key) FROM {schema}.dim_date)
HAVING count(*) > 0
UNION ALL
SELECT 'admission_id is not in the warehouse (no admissions file introduced it)', count(*), min(s.admission_id)
FROM stage s
WHERE s.admit_time >= %(start_date)s::date + 1
  AND NOT EXISTS (SELECT 1 FROM {schema}.fact_admission a WHERE a.admission_id = s.admission_id)
HAVING count(*) > 0
UNION ALL
SELECT 'person_id, hospital_id, ward, bed or admit_time differs from the admission''s', count(*), min(s.admission_id)
FROM stage s
JOIN {schema}.fact_admission a ON a.admission_id = s.admission_id
WHERE (a.person_id, a.hospital_id, a.ward, a.bed, a.admit_time) IS DISTINCT FROM
      (s.person_id, s.hospital_id, s.ward, s.bed, s.admit_time)
HAVING count(*) > 0;
