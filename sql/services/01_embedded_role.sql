-- The application role and database on the embedded server (run by psql with -v app_user, app_password, app_db).
-- Superuser: the embedded server is a private lab; CDC, reset and tests need slots and table ownership.
SELECT format('CREATE ROLE %I', :'app_user')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'app_user')
\gexec
ALTER ROLE :"app_user" WITH LOGIN SUPERUSER REPLICATION PASSWORD :'app_password';
SELECT format('CREATE DATABASE %I OWNER %I', :'app_db', :'app_user')
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'app_db')
\gexec
