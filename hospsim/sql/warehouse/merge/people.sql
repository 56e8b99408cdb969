-- people_data.csv -> dim_person. Leaves the illness columns alone (population_with_illnesses.csv owns them).
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
