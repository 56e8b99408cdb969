-- staff_active_<year>_Q<n>.csv -> fact_staff_active for that quarter (the quarter comes from the file name).
INSERT INTO {schema}.fact_staff_active AS t (year, quarter, staff_id, hospital_id, ward, role, team, file_id)
SELECT %(year)s, %(quarter)s, staff_id, hospital_id, ward, role, team, %(file_id)s
FROM stage
ON CONFLICT (year, quarter, staff_id) DO UPDATE SET
    hospital_id = EXCLUDED.hospital_id, ward = EXCLUDED.ward, role = EXCLUDED.role, team = EXCLUDED.team,
    file_id = EXCLUDED.file_id;
