-- Unknown wards, beds other than the ward's (dim_ward, from params), and dates other than the one in the file name
-- (census_<date>.csv; census.csv has none). Row rules (occupied <= beds, ...) are CHECKs of fact_census (06_rules.sql).
-- One anti-join per reference; a row (problem, rows, an example) for each problem found.
SELECT 'hospital_id/ward is not a ward of params region.hospitals' AS problem, count(*) AS n, min(s.hospital_id || '/' || s.ward) AS example
FROM stage s
WHERE NOT EXISTS (SELECT 1 FROM {schema}.dim_ward w WHERE w.hospital_id = s.hospital_id AND w.ward = s.ward)
HAVING count(*) > 0
UNION ALL
SELECT 'date differs from the date in the file name', count(*), min(s.date)::text
FROM stage s
WHERE s.date <> %(file_date)s
HAVING count(*) > 0
UNION ALL
SELECT 'beds differs from the ward''s beds in params region.hospitals (dim_ward)', count(*),
       min(s.hospital_id || '/' || s.ward || ': ' || s.beds || ' beds, the ward has ' || w.beds)
FROM stage s
JOIN {schema}.dim_ward w ON w.hospital_id = s.hospital_id AND w.ward = s.ward
WHERE s.beds <> w.beds
HAVING count(*) > 0;
