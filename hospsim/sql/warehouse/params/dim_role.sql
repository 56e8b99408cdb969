-- The workforce roles.
INSERT INTO {schema}.dim_role (role) VALUES %s ON CONFLICT (role) DO NOTHING;
