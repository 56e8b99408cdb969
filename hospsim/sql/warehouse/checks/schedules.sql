-- Unknown staff, wards and roles, and dates outside the file's month (schedules_<year>_<month>.csv).
-- One anti-join per reference; a row (problem, rows, an example) for each problem found.
SELECT 'staff_id is not in the warehouse (staff_data.csv)' AS problem, count(*) AS n, min(s.staff_id) AS example
FROM stage s
WHERE NOT EXISTS (SELECT 1 FROM {schema}.dim_staff t WHERE t.staff_id = s.staff_id)
HAVING count(*) > 0
UNION ALL
SELECT 'hospital_id/ward is not a ward of params region.hospitals', count(*), min(s.hospital_id || '/' || s.ward)
FROM stage s
WHERE NOT EXISTS (SELECT 1 FROM {schema}.dim_ward w WHERE w.hospital_id = s.hospital_id AND w.ward = s.ward)
HAVING count(*) > 0
UNION ALL
SELECT 'role is not a workforce role', count(*), min(s.role)
FROM stage s
WHERE NOT EXISTS (SELECT 1 FROM {schema}.dim_role r WHERE r.role = s.role)
HAVING count(*) > 0
UNION ALL
SELECT 'date is outside the month in the file name', count(*), min(s.date)::text
FROM stage s
WHERE (extract(year FROM s.date) <> %(year)s OR extract(month FROM s.date) <> %(month)s)
HAVING count(*) > 0
UNION ALL
SELECT 'date is outside the warehouse calendar dim_date (the simulated period of params, +-10 years)', count(*), min(s.date)::text
FROM stage s
WHERE s.date NOT BETWEEN (SELECT min(date_key) FROM {schema}.dim_date) AND (SELECT max(date_key) FROM {schema}.dim_date)
HAVING count(*) > 0;
