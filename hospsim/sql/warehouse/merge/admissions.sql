-- admissions_<date>.csv -> fact_admission; a discharge loaded earlier (files out of order) fills discharge_time.
INSERT INTO {schema}.fact_admission AS t (admission_id, person_id, visit_id, hospital_id, ward, bed, admit_date,
                                          admit_time, length_of_stay_days, planned_discharge_time, type,
                                          discharge_time, file_id)
SELECT s.admission_id, s.person_id, s.visit_id, s.hospital_id, s.ward, s.bed, s.admit_time::date, s.admit_time,
       s.length_of_stay_days, s.planned_discharge_time, s.type, d.discharge_time, %(file_id)s
FROM stage s
LEFT JOIN {schema}.fact_discharge d ON d.admission_id = s.admission_id
ON CONFLICT (admission_id) DO UPDATE SET
    person_id = EXCLUDED.person_id, visit_id = EXCLUDED.visit_id, hospital_id = EXCLUDED.hospital_id,
    ward = EXCLUDED.ward, bed = EXCLUDED.bed, admit_date = EXCLUDED.admit_date, admit_time = EXCLUDED.admit_time,
    length_of_stay_days = EXCLUDED.length_of_stay_days, planned_discharge_time = EXCLUDED.planned_discharge_time,
    type = EXCLUDED.type, discharge_time = EXCLUDED.discharge_time, file_id = EXCLUDED.file_id;
