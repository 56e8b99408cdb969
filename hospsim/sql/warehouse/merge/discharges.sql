-- discharges_<date>.csv -> fact_discharge, and the discharge time of the admissions already loaded.
INSERT INTO {schema}.fact_discharge AS t (admission_id, person_id, hospital_id, ward, bed, admit_time,
                                          discharge_date, discharge_time, length_of_stay_days, outcome, file_id)
SELECT admission_id, person_id, hospital_id, ward, bed, admit_time, discharge_time::date, discharge_time,
       length_of_stay_days, outcome, %(file_id)s
FROM stage
ON CONFLICT (admission_id) DO UPDATE SET
    person_id = EXCLUDED.person_id, hospital_id = EXCLUDED.hospital_id, ward = EXCLUDED.ward, bed = EXCLUDED.bed,
    admit_time = EXCLUDED.admit_time, discharge_date = EXCLUDED.discharge_date,
    discharge_time = EXCLUDED.discharge_time, length_of_stay_days = EXCLUDED.length_of_stay_days,
    outcome = EXCLUDED.outcome, file_id = EXCLUDED.file_id;

UPDATE {schema}.fact_admission a
SET discharge_time = s.discharge_time
FROM stage s
WHERE a.admission_id = s.admission_id AND a.discharge_time IS DISTINCT FROM s.discharge_time;
