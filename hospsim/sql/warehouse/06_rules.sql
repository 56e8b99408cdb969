-- What cannot be true of one row, as named CHECK constraints whose comment is the reason a rejected file gets
-- (hospsim.warehouse.ingest looks the comment up by the violated constraint's name).
--
-- Floats: PostgreSQL orders NaN above every number, so `x >= 0` passes NaN (and Infinity). Every float rule here
-- has a finite upper bound, or says `x < 'Infinity'`, which NaN fails too.
-- Ages: 0..120, the bound params population.age_bands keep to (config.MAX_AGE), with simulation.days.
-- Distances: at most 20,000 km, half the Earth's circumference; no trip between two places is longer.
-- Stays: at most 366 days (the simulation caps a stay at 60 days).
--
-- PostgreSQL checks a row's constraints in name order and reports the first that fails: names are chosen so the
-- plainest reason comes first (chronology and bounds before derived sums). The constraints 01/02_*.sql declare
-- unnamed (PostgreSQL names them <table>_<column>_check) are listed too, for their reasons.
--
-- Idempotent and cheap on a live schema (`hospsim ingest` runs it at every start): a rule is added only when its
-- table lacks it, NOT VALID, so rows a warehouse holds from before are not re-checked (new rows are).
--
-- A warehouse made before visits could end 'left_without_being_seen' has the older disposition rule: it is
-- dropped here and the loop below adds the current one.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = '{schema}.fact_visit'::regclass
               AND conname = 'fact_visit_disposition_check'
               AND position('left_without_being_seen' in pg_get_constraintdef(oid)) = 0) THEN
        ALTER TABLE {schema}.fact_visit DROP CONSTRAINT fact_visit_disposition_check;
    END IF;
END
$$;
DO $$
DECLARE
    r record;
    target regclass;
BEGIN
    FOR r IN SELECT * FROM (VALUES
        ('fact_visit', 'fact_visit_age_check', 'age >= 0', 'age must be 0..120 years'),
        ('fact_visit', 'fact_visit_triage_check', 'triage BETWEEN 1 AND 5', 'triage must be 1..5'),
        ('fact_visit', 'fact_visit_disposition_check', 'disposition IN (''discharged'', ''admitted'', ''transferred'', ''left_without_being_seen'')',
         'disposition must be discharged, admitted, transferred or left_without_being_seen'),
        ('fact_admission', 'fact_admission_length_of_stay_days_check', 'length_of_stay_days >= 0', 'length_of_stay_days must be a finite number of days, 0..366 (NaN and Infinity are refused)'),
        ('fact_admission', 'fact_admission_type_check', 'type IN (''emergency'', ''elective'')',
         'type must be emergency or elective'),
        ('fact_discharge', 'fact_discharge_length_of_stay_days_check', 'length_of_stay_days >= 0', 'length_of_stay_days must be a finite number of days, 0..366 (NaN and Infinity are refused)'),
        ('fact_discharge', 'fact_discharge_check', 'discharge_time >= admit_time', 'discharge_time is before admit_time'),
        ('fact_transfer', 'fact_transfer_reason_check', 'reason IN (''capacity'', ''specialty'')',
         'reason must be capacity or specialty'),
        ('fact_transfer', 'fact_transfer_distance_km_check', 'distance_km >= 0',
         'distance_km must be a finite distance, 0..20,000 km (NaN and Infinity are refused)'),
        ('fact_emergency_transport', 'fact_emergency_transport_priority_check', 'priority BETWEEN 1 AND 3',
         'priority must be 1..3'),
        ('fact_emergency_transport', 'fact_emergency_transport_distance_km_check', 'distance_km >= 0',
         'distance_km must be a finite distance, 0..20,000 km (NaN and Infinity are refused)'),
        ('fact_visit', 'fact_visit_outcome_check', 'outcome IN (''alive'', ''died'')', 'outcome must be alive or died'),
        ('fact_discharge', 'fact_discharge_outcome_check', 'outcome IN (''alive'', ''died'')',
         'outcome must be alive or died'),
        ('fact_death', 'fact_death_age_check', 'age >= 0', 'age must be 0..120 years'),
        ('fact_census', 'fact_census_beds_check', 'beds >= 0', 'beds must be >= 0'),
        ('fact_census', 'fact_census_occupied_check', 'occupied >= 0', 'occupied must be >= 0'),
        ('fact_census', 'fact_census_admitted_check', 'admitted >= 0', 'admitted must be >= 0'),
        ('fact_census', 'fact_census_discharged_check', 'discharged >= 0', 'discharged must be >= 0'),
        ('fact_census', 'fact_census_transfers_in_check', 'transfers_in >= 0', 'transfers_in must be >= 0'),
        ('fact_census', 'fact_census_transfers_out_check', 'transfers_out >= 0', 'transfers_out must be >= 0'),
        ('fact_census', 'fact_census_boarding_check', 'boarding >= 0', 'boarding must be >= 0'),
        ('fact_census', 'fact_census_cancelled_electives_check', 'cancelled_electives >= 0', 'cancelled_electives must be >= 0'),
        ('fact_shift_assignment', 'fact_shift_assignment_check', 'shift_end > shift_start',
         'shift_end is not after shift_start'),
        ('dim_person', 'dim_person_sex_check', 'sex IN (''F'', ''M'')', 'sex must be F or M'),
        ('dim_staff', 'dim_staff_sex_check', 'sex IN (''F'', ''M'')', 'sex must be F or M'),
        ('dim_staff', 'dim_staff_status_check', 'status IN (''active'', ''retired'', ''resigned'')',
         'status must be active, retired or resigned'),
        ('dim_staff', 'dim_staff_vacation_month_check', 'vacation_month BETWEEN 1 AND 12',
         'vacation_month must be 1..12'),
        ('dim_ward', 'dim_ward_beds_check', 'beds >= 0', 'beds must be >= 0'),
        ('fact_staff_active', 'fact_staff_active_quarter_check', 'quarter BETWEEN 1 AND 4', 'quarter must be 1..4'),
        ('reserve_candidate', 'reserve_candidate_sex_check', 'sex IN (''F'', ''M'')', 'sex must be F or M'),
        ('fact_staff_event', 'fact_staff_event_event_check', 'event IN (''hire'', ''retirement'', ''resignation'')',
         'event must be hire, retirement or resignation'),
        ('fact_shift_change', 'fact_shift_change_change_check', 'change IN (''call_off'', ''call_in'')',
         'change must be call_off or call_in'),
        ('fact_visit', 'fact_visit_age_bounds', 'age BETWEEN 0 AND 120',
         'age must be 0..120 years'),
        ('fact_visit', 'fact_visit_sex', 'sex IN (''F'', ''M'')',
         'sex must be F or M'),
        ('fact_visit', 'fact_visit_chronology', 'departure_time IS NULL OR departure_time >= arrival_time',
         'departure_time is before arrival_time'),
        ('fact_visit', 'fact_visit_triage_color',
         'triage_color = (ARRAY[''red'', ''orange'', ''yellow'', ''green'', ''blue''])[triage]',
         'triage_color is not the colour of the triage level (1 red, 2 orange, 3 yellow, 4 green, 5 blue)'),
        ('fact_admission', 'fact_admission_los_bounds', 'length_of_stay_days BETWEEN 0 AND 366',
         'length_of_stay_days must be a finite number of days, 0..366 (NaN and Infinity are refused)'),
        ('fact_admission', 'fact_admission_chronology',
         'planned_discharge_time >= admit_time AND (discharge_time IS NULL OR discharge_time >= admit_time)',
         'planned_discharge_time (or discharge_time) is before admit_time'),
        ('fact_admission', 'fact_admission_los_matches',
         'abs(extract(epoch FROM planned_discharge_time - admit_time) / 86400 - length_of_stay_days) <= 0.001',
         'length_of_stay_days differs from planned_discharge_time - admit_time'),
        ('fact_discharge', 'fact_discharge_los_bounds', 'length_of_stay_days BETWEEN 0 AND 366',
         'length_of_stay_days must be a finite number of days, 0..366 (NaN and Infinity are refused)'),
        ('fact_discharge', 'fact_discharge_los_matches',
         'abs(extract(epoch FROM discharge_time - admit_time) / 86400 - length_of_stay_days) <= 0.001',
         'length_of_stay_days differs from discharge_time - admit_time'),
        ('fact_transfer', 'fact_transfer_ends_differ', 'origin_hospital_id <> destination_hospital_id',
         'origin_hospital_id and destination_hospital_id are the same hospital: a transfer goes to another one'),
        ('fact_transfer', 'fact_transfer_chronology', 'request_time <= departure_time AND departure_time <= arrival_time',
         'times out of order: request_time <= departure_time <= arrival_time'),
        ('fact_transfer', 'fact_transfer_distance_bounds', 'distance_km BETWEEN 0 AND 20000',
         'distance_km must be a finite distance, 0..20,000 km (NaN and Infinity are refused)'),
        ('fact_emergency_transport', 'fact_emergency_transport_chronology',
         'dispatch_time <= pickup_time AND pickup_time <= arrival_time',
         'times out of order: dispatch_time <= pickup_time <= arrival_time'),
        ('fact_emergency_transport', 'fact_emergency_transport_distance_bounds', 'distance_km BETWEEN 0 AND 20000',
         'distance_km must be a finite distance, 0..20,000 km (NaN and Infinity are refused)'),
        ('fact_census', 'fact_census_occupied_beds', 'ward = ''emergency'' OR occupied <= beds',
         'occupied exceeds beds: an inpatient ward holds at most one patient per bed'),
        ('fact_census', 'fact_census_emergency_occupied', 'ward <> ''emergency'' OR occupied <= admitted + boarding',
         'occupied exceeds the emergency ward''s arrivals of the day (admitted) plus its boarding patients'),
        ('fact_shift_assignment', 'fact_shift_assignment_length', 'shift_end - shift_start <= interval ''24 hours''',
         'a shift longer than 24 hours'),
        ('dim_person', 'dim_person_coordinates',
         '(lat IS NULL OR lat BETWEEN -90 AND 90) AND (lon IS NULL OR lon BETWEEN -180 AND 180)',
         'lat must be -90..90 and lon -180..180 (NaN and Infinity are refused)'),
        ('dim_person', 'dim_person_risks',
         '(visit_risk IS NULL OR (visit_risk > 0 AND visit_risk < ''Infinity'')) AND '
         '(admit_risk IS NULL OR (admit_risk > 0 AND admit_risk < ''Infinity''))',
         'visit_risk and admit_risk must be finite numbers > 0'),
        ('dim_staff', 'dim_staff_dates', 'hire_date > birth_date AND (exit_date IS NULL OR exit_date >= hire_date)',
         'dates out of order: birth_date < hire_date <= exit_date')
    ) AS v(tbl, name, expr, reason)
    LOOP
        target := ('{schema}.' || quote_ident(r.tbl))::regclass;
        IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = target AND conname = r.name) THEN
            EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I CHECK (%s) NOT VALID', target, r.name, r.expr);
        END IF;
        IF obj_description((SELECT oid FROM pg_constraint WHERE conrelid = target AND conname = r.name),
                           'pg_constraint') IS DISTINCT FROM r.reason THEN
            EXECUTE format('COMMENT ON CONSTRAINT %I ON %s IS %L', r.name, target, r.reason);
        END IF;
    END LOOP;
END
$$;
