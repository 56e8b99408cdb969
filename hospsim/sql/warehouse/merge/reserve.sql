-- reserve_pool.csv -> reserve_candidate (candidates hired since stay, with the file that last listed them).
INSERT INTO {schema}.reserve_candidate AS t (candidate_id, national_id, name, sex, birth_date, role, registration,
                                             specialty, available_from, file_id)
SELECT candidate_id, national_id, name, sex, birth_date, role, registration, specialty, available_from, %(file_id)s
FROM stage
ON CONFLICT (candidate_id) DO UPDATE SET
    national_id = EXCLUDED.national_id, name = EXCLUDED.name, sex = EXCLUDED.sex, birth_date = EXCLUDED.birth_date,
    role = EXCLUDED.role, registration = EXCLUDED.registration, specialty = EXCLUDED.specialty,
    available_from = EXCLUDED.available_from, file_id = EXCLUDED.file_id;
