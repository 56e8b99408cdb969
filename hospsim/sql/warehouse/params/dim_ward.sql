-- The wards of params region.hospitals with their beds and patients-per-nurse ratio.
INSERT INTO {schema}.dim_ward (hospital_id, ward, beds, nurse_ratio)
VALUES %s
ON CONFLICT (hospital_id, ward) DO UPDATE SET beds = EXCLUDED.beds, nurse_ratio = EXCLUDED.nurse_ratio;
