-- staff_data.csv (everyone who worked in the period, leavers with their status) -> dim_staff.
INSERT INTO {schema}.dim_staff AS t (staff_id, national_id, name, sex, birth_date, role, registration, specialty,
                                     hospital_id, ward, team, vacation_month, hire_date, status, exit_date,
                                     candidate_id, file_id)
SELECT staff_id, national_id, name, sex, birth_date, role, registration, specialty, hospital_id, ward, team,
       vacation_month, hire_date, status, exit_date, candidate_id, %(file_id)s
FROM stage
ON CONFLICT (staff_id) DO UPDATE SET
    national_id = EXCLUDED.national_id, name = EXCLUDED.name, sex = EXCLUDED.sex, birth_date = EXCLUDED.birth_date,
    role = EXCLUDED.role, registration = EXCLUDED.registration, specialty = EXCLUDED.specialty,
    hospital_id = EXCLUDED.hospital_id, ward = EXCLUDED.ward, team = EXCLUDED.team,
    vacation_month = EXCLUDED.vacation_month, hire_date = EXCLUDED.hire_date, status = EXCLUDED.status,
    exit_date = EXCLUDED.exit_date, candidate_id = EXCLUDED.candidate_id, file_id = EXCLUDED.file_id;
