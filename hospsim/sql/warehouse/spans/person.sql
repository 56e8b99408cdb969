-- dim_person's ids, when they form one run without gaps (as the simulation numbers them): key_span 'person'.
-- Otherwise the span already there (if any) stays: the rows it covers still exist.
INSERT INTO {schema}.key_span (dim, lo, hi)
SELECT 'person', min(person_id), max(person_id)
FROM {schema}.dim_person
HAVING count(*) > 0 AND count(*) = max(person_id) - min(person_id) + 1
ON CONFLICT (dim) DO UPDATE SET lo = EXCLUDED.lo, hi = EXCLUDED.hi;
