-- Analysis views read by the notebooks and the realism report. CREATE OR REPLACE keeps them idempotent.
-- Each view orders its rows by its key (time first), so a plain SELECT * reads a time series in order.

-- The simulation's census at midnight per hospital and ward, with occupancy (occupied / beds).
CREATE OR REPLACE VIEW {schema}.v_census_daily AS
SELECT c.census_date, c.hospital_id, h.name AS hospital_name, c.ward, c.beds, c.occupied,
       c.occupied::double precision / nullif(c.beds, 0) AS occupancy,
       c.admitted, c.discharged, c.transfers_in, c.transfers_out, c.boarding, c.cancelled_electives
FROM {schema}.fact_census c
JOIN {schema}.dim_hospital h USING (hospital_id)
ORDER BY c.census_date, c.hospital_id, c.ward;

-- Inpatient bed occupancy per hospital and day (the emergency ward's places are not beds).
CREATE OR REPLACE VIEW {schema}.v_occupancy_daily AS
SELECT census_date, hospital_id, sum(beds)::integer AS beds, sum(occupied)::integer AS occupied,
       sum(occupied)::double precision / nullif(sum(beds), 0) AS occupancy
FROM {schema}.fact_census
WHERE ward <> 'emergency'
GROUP BY census_date, hospital_id
ORDER BY census_date, hospital_id;

-- Completed stays: average length of stay per hospital, ward and month of discharge.
CREATE OR REPLACE VIEW {schema}.v_length_of_stay_monthly AS
SELECT d.year_month, s.hospital_id, s.ward, count(*) AS discharges,
       avg(s.length_of_stay_days) AS avg_length_of_stay_days,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY s.length_of_stay_days) AS median_length_of_stay_days
FROM {schema}.fact_discharge s
JOIN {schema}.dim_date d ON d.date_key = s.discharge_date
GROUP BY d.year_month, s.hospital_id, s.ward
ORDER BY d.year_month, s.hospital_id, s.ward;

-- Average length of stay per hospital over everything loaded (hospital_id null = the whole region).
CREATE OR REPLACE VIEW {schema}.v_average_length_of_stay AS
SELECT hospital_id, count(*) AS discharges, avg(length_of_stay_days) AS avg_length_of_stay_days
FROM {schema}.fact_discharge
GROUP BY GROUPING SETS ((hospital_id), ())
ORDER BY hospital_id NULLS LAST;

-- Admissions, ED visits and transfers per hospital and day (by the day the event happened).
CREATE OR REPLACE VIEW {schema}.v_admissions_transfers_daily AS
WITH adm AS (
    SELECT admit_date AS day, hospital_id, count(*) AS admissions,
           count(*) FILTER (WHERE type = 'emergency') AS emergency_admissions,
           count(*) FILTER (WHERE type = 'elective') AS elective_admissions
    FROM {schema}.fact_admission GROUP BY 1, 2
), vis AS (
    SELECT visit_date AS day, hospital_id, count(*) AS ed_visits
    FROM {schema}.fact_visit GROUP BY 1, 2
), t_out AS (
    SELECT transfer_date AS day, origin_hospital_id AS hospital_id, count(*) AS transfers_out
    FROM {schema}.fact_transfer GROUP BY 1, 2
), t_in AS (
    SELECT transfer_date AS day, destination_hospital_id AS hospital_id, count(*) AS transfers_in
    FROM {schema}.fact_transfer GROUP BY 1, 2
), keys AS (
    SELECT day, hospital_id FROM adm UNION SELECT day, hospital_id FROM vis
    UNION SELECT day, hospital_id FROM t_out UNION SELECT day, hospital_id FROM t_in
)
SELECT k.day, k.hospital_id,
       coalesce(vis.ed_visits, 0) AS ed_visits,
       coalesce(adm.admissions, 0) AS admissions,
       coalesce(adm.emergency_admissions, 0) AS emergency_admissions,
       coalesce(adm.elective_admissions, 0) AS elective_admissions,
       coalesce(t_out.transfers_out, 0) AS transfers_out,
       coalesce(t_in.transfers_in, 0) AS transfers_in
FROM keys k
LEFT JOIN adm USING (day, hospital_id)
LEFT JOIN vis USING (day, hospital_id)
LEFT JOIN t_out USING (day, hospital_id)
LEFT JOIN t_in USING (day, hospital_id)
ORDER BY k.day, k.hospital_id;

-- Staffing per shift: nurses on duty (the rota less the shifts the day's census called off, plus its call-ins:
-- fact_shift_change)
-- against ceil(census / the ward's patients-per-nurse ratio under the staffing rule).
-- The shifts of a day are those anybody in the region was scheduled for.
CREATE OR REPLACE VIEW {schema}.v_staffing_shift AS
WITH shifts AS (
    SELECT DISTINCT shift_date, shift FROM {schema}.fact_shift_assignment WHERE role = 'nurse'
), on_duty AS (
    SELECT a.shift_date, a.shift, a.hospital_id, a.ward
    FROM {schema}.fact_shift_assignment a
    WHERE a.role = 'nurse' AND NOT EXISTS (SELECT 1 FROM {schema}.fact_shift_change c
                                           WHERE c.staff_id = a.staff_id AND c.shift_start = a.shift_start
                                             AND c.change = 'call_off')
    UNION ALL
    SELECT shift_date, shift, hospital_id, ward FROM {schema}.fact_shift_change
    WHERE role = 'nurse' AND change = 'call_in'
), nurses AS (
    SELECT shift_date, shift, hospital_id, ward, count(*) AS nurses_scheduled
    FROM on_duty
    GROUP BY 1, 2, 3, 4
), need AS (
    SELECT c.census_date AS shift_date, s.shift, c.hospital_id, c.ward, c.occupied, w.nurse_ratio,
           ceil(round((c.occupied / w.nurse_ratio)::numeric, 9))::integer AS nurses_required
    FROM {schema}.fact_census c
    JOIN {schema}.dim_ward w USING (hospital_id, ward)
    JOIN shifts s ON s.shift_date = c.census_date
)
SELECT need.shift_date, need.shift, need.hospital_id, need.ward, need.occupied, need.nurse_ratio,
       coalesce(nurses.nurses_scheduled, 0)::integer AS nurses_scheduled, need.nurses_required,
       coalesce(nurses.nurses_scheduled, 0) >= need.nurses_required AS met
FROM need
LEFT JOIN nurses USING (shift_date, shift, hospital_id, ward)
ORDER BY need.shift_date, need.shift, need.hospital_id, need.ward;

-- Hires, retirements and resignations per quarter, hospital and role.
CREATE OR REPLACE VIEW {schema}.v_staff_events_quarterly AS
SELECT d.year, d.quarter, d.year_quarter, e.hospital_id, e.role,
       count(*) FILTER (WHERE e.event = 'hire') AS hires,
       count(*) FILTER (WHERE e.event = 'retirement') AS retirements,
       count(*) FILTER (WHERE e.event = 'resignation') AS resignations
FROM {schema}.fact_staff_event e
JOIN {schema}.dim_date d ON d.date_key = e.event_date
GROUP BY d.year, d.quarter, d.year_quarter, e.hospital_id, e.role
ORDER BY d.year, d.quarter, e.hospital_id, e.role;

-- What the ingestor loaded, per file kind.
CREATE OR REPLACE VIEW {schema}.v_ingest_summary AS
SELECT kind, count(*) AS files, sum(rows) AS rows, sum(bytes) AS bytes, sum(seconds) AS seconds,
       sum(rows) / nullif(sum(seconds), 0) AS rows_per_second, max(ingested_at) AS last_ingested_at
FROM {schema}.ingest_ledger
GROUP BY kind
ORDER BY kind;
