-- population_with_illnesses.csv -> dim_person (with conditions and risks) and the person-illness bridge.
INSERT INTO {schema}.dim_person AS p (person_id, national_id, name, sex, birth_date, address, city, lat, lon, phone,
                                      insurance, home_hospital, conditions, visit_risk, admit_risk, file_id)
SELECT person_id, national_id, name, sex, birth_date, address, city, lat, lon, phone, insurance, home_hospital,
       coalesce(conditions, ''), visit_risk, admit_risk, %(file_id)s
FROM stage
ON CONFLICT (person_id) DO UPDATE SET
    national_id = EXCLUDED.national_id, name = EXCLUDED.name, sex = EXCLUDED.sex, birth_date = EXCLUDED.birth_date,
    address = EXCLUDED.address, city = EXCLUDED.city, lat = EXCLUDED.lat, lon = EXCLUDED.lon,
    phone = EXCLUDED.phone, insurance = EXCLUDED.insurance, home_hospital = EXCLUDED.home_hospital,
    conditions = EXCLUDED.conditions, visit_risk = EXCLUDED.visit_risk, admit_risk = EXCLUDED.admit_risk,
    file_id = EXCLUDED.file_id;

DELETE FROM {schema}.bridge_person_illness b USING stage s WHERE b.person_id = s.person_id;

INSERT INTO {schema}.bridge_person_illness (person_id, illness)
SELECT s.person_id, i.illness
FROM stage s
CROSS JOIN LATERAL unnest(string_to_array(s.conditions, ';')) AS i(illness)
WHERE s.conditions IS NOT NULL;
