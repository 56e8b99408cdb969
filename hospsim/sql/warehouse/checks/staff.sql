-- Unknown wards and roles in a staged staff_data file.
-- One anti-join per reference; a row (problem, rows, an example) for each problem found.
SELECT 'hospital_id/ward is not a ward of params region.hospitals' AS problem, count(*) AS n, min(s.hospital_id || '/' || s.ward) AS example
FROM stage s
WHERE NOT EXISTS (SELECT 1 FROM {schema}.dim_ward w WHERE w.hospital_id = s.hospital_id AND w.ward = s.ward)
HAVING count(*) > 0
UNION ALL
SELECT 'role is not a workforce role', count(*), min(s.role)
FROM stage s
WHERE NOT EXISTS (SELECT 1 FROM {schema}.dim_role r WHERE r.role = s.role)
HAVING count(*) > 0;
