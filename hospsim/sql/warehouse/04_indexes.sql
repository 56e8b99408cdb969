-- Indexes for the analysis views (05_views.sql). Big, append-mostly facts get BRIN indexes on their date,
-- which cost next to nothing to maintain during a COPY-speed merge.

CREATE INDEX IF NOT EXISTS fact_visit_date_brin ON {schema}.fact_visit USING brin (visit_date);
CREATE INDEX IF NOT EXISTS fact_admission_date_brin ON {schema}.fact_admission USING brin (admit_date);
CREATE INDEX IF NOT EXISTS fact_discharge_date_brin ON {schema}.fact_discharge USING brin (discharge_date);
CREATE INDEX IF NOT EXISTS fact_transfer_date ON {schema}.fact_transfer (transfer_date);
CREATE INDEX IF NOT EXISTS fact_emergency_transport_date_brin
    ON {schema}.fact_emergency_transport USING brin (transport_date);
CREATE INDEX IF NOT EXISTS fact_shift_assignment_slot
    ON {schema}.fact_shift_assignment (shift_date, shift, hospital_id, ward) WHERE role = 'nurse';
CREATE INDEX IF NOT EXISTS fact_staff_event_date ON {schema}.fact_staff_event (event_date);
CREATE INDEX IF NOT EXISTS bridge_person_illness_illness ON {schema}.bridge_person_illness (illness);
CREATE INDEX IF NOT EXISTS dim_staff_ward ON {schema}.dim_staff (hospital_id, ward);
