-- census_<date>.csv (or one census.csv) -> fact_census.
INSERT INTO {schema}.fact_census AS t (census_date, hospital_id, ward, beds, occupied, admitted, discharged,
                                       transfers_in, transfers_out, boarding, cancelled_electives, file_id)
SELECT date, hospital_id, ward, beds, occupied, admitted, discharged, transfers_in, transfers_out, boarding,
       cancelled_electives, %(file_id)s
FROM stage
ON CONFLICT (census_date, hospital_id, ward) DO UPDATE SET
    beds = EXCLUDED.beds, occupied = EXCLUDED.occupied, admitted = EXCLUDED.admitted,
    discharged = EXCLUDED.discharged, transfers_in = EXCLUDED.transfers_in, transfers_out = EXCLUDED.transfers_out,
    boarding = EXCLUDED.boarding, cancelled_electives = EXCLUDED.cancelled_electives, file_id = EXCLUDED.file_id;
