-- Unknown wards, and dates other than the one in the file name (census_<date>.csv; census.csv has none).
-- One anti-join per reference; a row (problem, rows, an example) for each problem found.
SELECT 'hospital_id/ward is not a ward of params region.hospitals' AS problem, count(*) AS n, min(s.hospital_id || '/' || s.ward) AS example
FROM stage s
WHERE NOT EXISTS (SELECT 1 FROM {schema}.dim_ward w WHERE w.hospital_id = s.hospital_id AND w.ward = s.ward)
HAVING count(*) > 0
UNION ALL
SELECT 'date differs from the date in the file name', count(*), min(s.date)::text
FROM stage s
WHERE s.date <> %(file_date)s
HAVING count(*) > 0;
