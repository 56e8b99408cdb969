-- daily_visitors_<date>.csv -> fact_visit.
INSERT INTO {schema}.fact_visit AS t (visit_id, person_id, hospital_id, visit_date, arrival_time, departure_time,
                                      arrival_mode, age, sex, triage, triage_color, reason, disposition, outcome,
                                      file_id)
SELECT visit_id, person_id, hospital_id, arrival_time::date, arrival_time, departure_time, arrival_mode, age, sex,
       triage, triage_color, reason, disposition, outcome, %(file_id)s
FROM stage
ON CONFLICT (visit_id) DO UPDATE SET
    person_id = EXCLUDED.person_id, hospital_id = EXCLUDED.hospital_id, visit_date = EXCLUDED.visit_date,
    arrival_time = EXCLUDED.arrival_time, departure_time = EXCLUDED.departure_time,
    arrival_mode = EXCLUDED.arrival_mode, age = EXCLUDED.age, sex = EXCLUDED.sex, triage = EXCLUDED.triage,
    triage_color = EXCLUDED.triage_color, reason = EXCLUDED.reason, disposition = EXCLUDED.disposition,
    outcome = EXCLUDED.outcome, file_id = EXCLUDED.file_id;
