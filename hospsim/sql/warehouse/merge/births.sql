-- births_<date>.csv -> dim_person (the newborn, with its mother's address and plan) and fact_birth.
INSERT INTO {schema}.dim_person AS p (person_id, national_id, name, sex, birth_date, address, city, lat, lon, phone,
                                      insurance, home_hospital, file_id)
SELECT person_id, national_id, name, sex, birth_date, address, city, lat, lon, phone, insurance, home_hospital,
       %(file_id)s
FROM stage
ON CONFLICT (person_id) DO UPDATE SET
    national_id = EXCLUDED.national_id, name = EXCLUDED.name, sex = EXCLUDED.sex, birth_date = EXCLUDED.birth_date,
    address = EXCLUDED.address, city = EXCLUDED.city, lat = EXCLUDED.lat, lon = EXCLUDED.lon,
    phone = EXCLUDED.phone, insurance = EXCLUDED.insurance, home_hospital = EXCLUDED.home_hospital,
    file_id = EXCLUDED.file_id;

INSERT INTO {schema}.fact_birth AS t (person_id, mother_id, birth_date, birth_time, hospital_id, visit_id,
                                      admission_id, file_id)
SELECT person_id, mother_id, birth_time::date, birth_time, hospital_id, visit_id, admission_id, %(file_id)s
FROM stage
ON CONFLICT (person_id) DO UPDATE SET
    mother_id = EXCLUDED.mother_id, birth_date = EXCLUDED.birth_date, birth_time = EXCLUDED.birth_time,
    hospital_id = EXCLUDED.hospital_id, visit_id = EXCLUDED.visit_id, admission_id = EXCLUDED.admission_id,
    file_id = EXCLUDED.file_id;
