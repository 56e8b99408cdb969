-- deaths_<date>.csv -> fact_death.
INSERT INTO {schema}.fact_death AS t (person_id, death_date, death_time, age, sex, place, hospital_id, visit_id,
                                      admission_id, file_id)
SELECT person_id, death_time::date, death_time, age, sex, place, hospital_id, visit_id, admission_id, %(file_id)s
FROM stage
ON CONFLICT (person_id) DO UPDATE SET
    death_date = EXCLUDED.death_date, death_time = EXCLUDED.death_time, age = EXCLUDED.age, sex = EXCLUDED.sex,
    place = EXCLUDED.place, hospital_id = EXCLUDED.hospital_id, visit_id = EXCLUDED.visit_id,
    admission_id = EXCLUDED.admission_id, file_id = EXCLUDED.file_id;
