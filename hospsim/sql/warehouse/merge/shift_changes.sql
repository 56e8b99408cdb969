-- shift_changes_<date>.csv -> fact_shift_change.
INSERT INTO {schema}.fact_shift_change AS t (staff_id, shift_start, shift_end, shift_date, shift, hospital_id, ward,
                                             role, change, file_id)
SELECT staff_id, shift_start, shift_end, date, shift, hospital_id, ward, role, change, %(file_id)s
FROM stage
ON CONFLICT (staff_id, shift_start) DO UPDATE SET
    change = EXCLUDED.change, file_id = EXCLUDED.file_id;
