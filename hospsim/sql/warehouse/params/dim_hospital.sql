-- The hospitals of params region.hospitals.
INSERT INTO {schema}.dim_hospital (hospital_id, name, city, lat, lon, rural, specialties)
VALUES %s
ON CONFLICT (hospital_id) DO UPDATE SET
    name = EXCLUDED.name, city = EXCLUDED.city, lat = EXCLUDED.lat, lon = EXCLUDED.lon, rural = EXCLUDED.rural,
    specialties = EXCLUDED.specialties;
