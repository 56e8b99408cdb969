-- emergency_transports_<date>.csv -> fact_emergency_transport (dated by the arrival at the hospital, the day of the ED visit).
INSERT INTO {schema}.fact_emergency_transport AS t (transport_id, person_id, visit_id, priority, transport_date,
                                                    dispatch_time, pickup_time, arrival_time, hospital_id,
                                                    distance_km, file_id)
SELECT transport_id, person_id, visit_id, priority, arrival_time::date, dispatch_time, pickup_time, arrival_time,
       hospital_id, distance_km, %(file_id)s
FROM stage
ON CONFLICT (transport_id) DO UPDATE SET
    person_id = EXCLUDED.person_id, visit_id = EXCLUDED.visit_id, priority = EXCLUDED.priority,
    transport_date = EXCLUDED.transport_date, dispatch_time = EXCLUDED.dispatch_time,
    pickup_time = EXCLUDED.pickup_time, arrival_time = EXCLUDED.arrival_time, hospital_id = EXCLUDED.hospital_id,
    distance_km = EXCLUDED.distance_km, file_id = EXCLUDED.file_id;
