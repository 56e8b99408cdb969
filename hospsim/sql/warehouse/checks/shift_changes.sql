-- A call-off must be of a rota shift (schedules_<year>_<month>.csv, loaded first), a call-in of none, both of
-- the file's day.
SELECT 'a call_off shift (staff_id, shift_start) is not in the rota (schedules_<year>_<month>.csv)' AS problem,
       count(*) AS n, min(s.staff_id || ' ' || s.shift_start::text) AS example
FROM stage s
WHERE s.change = 'call_off' AND NOT EXISTS (
    SELECT 1 FROM {schema}.fact_shift_assignment a
    WHERE a.staff_id = s.staff_id AND a.shift_start = s.shift_start AND a.hospital_id = s.hospital_id
      AND a.ward = s.ward AND a.role = s.role)
HAVING count(*) > 0
UNION ALL
SELECT 'a call_in shift (staff_id, shift_start) is already in the rota', count(*),
       min(s.staff_id || ' ' || s.shift_start::text)
FROM stage s
WHERE s.change = 'call_in' AND EXISTS (
    SELECT 1 FROM {schema}.fact_shift_assignment a WHERE a.staff_id = s.staff_id AND a.shift_start = s.shift_start)
HAVING count(*) > 0
UNION ALL
SELECT 'date is not the day in the file name', count(*), min(s.date)::text
FROM stage s
WHERE s.date <> %(file_date)s
HAVING count(*) > 0
UNION ALL
SELECT 'change is not call_off or call_in', count(*), min(s.change)
FROM stage s
WHERE s.change IS NULL OR s.change NOT IN ('call_off', 'call_in')
HAVING count(*) > 0;
