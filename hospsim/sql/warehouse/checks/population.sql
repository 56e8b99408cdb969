-- Unknown home hospitals and illnesses in a staged population_with_illnesses file.
SELECT 'home_hospital is not a hospital of params region.hospitals' AS problem, count(*) AS n,
       min(s.home_hospital) AS example
FROM stage s
WHERE NOT EXISTS (SELECT 1 FROM {schema}.dim_hospital h WHERE h.hospital_id = s.home_hospital)
HAVING count(*) > 0
UNION ALL
SELECT 'conditions names an illness not in params population.conditions', count(*), min(i.illness)
FROM stage s
CROSS JOIN LATERAL unnest(string_to_array(s.conditions, ';')) AS i(illness)
WHERE NOT EXISTS (SELECT 1 FROM {schema}.dim_illness d WHERE d.illness = i.illness)
HAVING count(*) > 0
UNION ALL
SELECT 'birth_date is after the first simulated day or more than 120 years before it', count(*), min(s.birth_date)::text
FROM stage s
WHERE s.birth_date > %(start_date)s::date OR s.birth_date <= %(start_date)s::date - interval '121 years'
HAVING count(*) > 0;
