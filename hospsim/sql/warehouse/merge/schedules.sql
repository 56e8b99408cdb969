-- schedules_<year>_<month>.csv -> fact_shift_assignment.
INSERT INTO {schema}.fact_shift_assignment AS t (staff_id, shift_start, shift_end, shift_date, shift, hospital_id,
                                                 ward, role, file_id)
SELECT staff_id, shift_start, shift_end, date, shift, hospital_id, ward, role, %(file_id)s
FROM stage
ON CONFLICT (staff_id, shift_start) DO UPDATE SET
    shift_end = EXCLUDED.shift_end, shift_date = EXCLUDED.shift_date, shift = EXCLUDED.shift,
    hospital_id = EXCLUDED.hospital_id, ward = EXCLUDED.ward, role = EXCLUDED.role, file_id = EXCLUDED.file_id;
