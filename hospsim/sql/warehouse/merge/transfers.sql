-- transfers_<date>.csv -> fact_transfer (dated by the request: the day the simulation moved the patient).
INSERT INTO {schema}.fact_transfer AS t (transfer_id, person_id, visit_id, admission_id, origin_hospital_id,
                                         destination_hospital_id, ward, reason, transfer_date, request_time,
                                         departure_time, arrival_time, distance_km, file_id)
SELECT transfer_id, person_id, visit_id, admission_id, origin_hospital_id, destination_hospital_id, ward, reason,
       request_time::date, request_time, departure_time, arrival_time, distance_km, %(file_id)s
FROM stage
ON CONFLICT (transfer_id) DO UPDATE SET
    person_id = EXCLUDED.person_id, visit_id = EXCLUDED.visit_id, admission_id = EXCLUDED.admission_id,
    origin_hospital_id = EXCLUDED.origin_hospital_id, destination_hospital_id = EXCLUDED.destination_hospital_id,
    ward = EXCLUDED.ward, reason = EXCLUDED.reason, transfer_date = EXCLUDED.transfer_date,
    request_time = EXCLUDED.request_time, departure_time = EXCLUDED.departure_time,
    arrival_time = EXCLUDED.arrival_time, distance_km = EXCLUDED.distance_km, file_id = EXCLUDED.file_id;
