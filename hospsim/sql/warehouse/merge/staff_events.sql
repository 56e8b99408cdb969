-- staff_events.csv -> fact_staff_event (hire, retirement, resignation).
INSERT INTO {schema}.fact_staff_event AS t (staff_id, event, event_date, hospital_id, ward, role, file_id)
SELECT staff_id, event, date, hospital_id, ward, role, %(file_id)s
FROM stage
ON CONFLICT (staff_id, event, event_date) DO UPDATE SET
    hospital_id = EXCLUDED.hospital_id, ward = EXCLUDED.ward, role = EXCLUDED.role, file_id = EXCLUDED.file_id;
