-- The conditions of params population.conditions and their risk multipliers.
INSERT INTO {schema}.dim_illness (illness, visit_risk, admit_risk)
VALUES %s
ON CONFLICT (illness) DO UPDATE SET visit_risk = EXCLUDED.visit_risk, admit_risk = EXCLUDED.admit_risk;
