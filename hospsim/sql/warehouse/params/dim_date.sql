-- Every calendar day from %(first)s to %(last)s, and any gap between that span and the days already there,
-- so dim_date stays one contiguous run (the reference checks test fact dates against its first and last day).
INSERT INTO {schema}.dim_date (date_key, year, quarter, month, day, iso_dow, day_name, is_weekend, year_quarter,
                               year_month)
SELECT d, y, q, m, extract(day FROM d), dow,
       (ARRAY['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'])[dow], dow >= 6,
       y::text || '-Q' || q::text, y::text || '-' || lpad(m::text, 2, '0')
FROM (SELECT least(%(first)s::date, min(date_key)) AS lo, greatest(%(last)s::date, max(date_key)) AS hi
      FROM {schema}.dim_date) AS span
CROSS JOIN LATERAL generate_series(span.lo, span.hi, interval '1 day') AS g(t)
CROSS JOIN LATERAL (SELECT g.t::date AS d) AS x
CROSS JOIN LATERAL (SELECT extract(year FROM d)::int AS y, extract(quarter FROM d)::int AS q,
                           extract(month FROM d)::int AS m, extract(isodow FROM d)::int AS dow) AS parts
WHERE NOT EXISTS (SELECT 1 FROM {schema}.dim_date WHERE date_key = %(first)s::date)
   OR NOT EXISTS (SELECT 1 FROM {schema}.dim_date WHERE date_key = %(last)s::date)
ON CONFLICT (date_key) DO NOTHING;
