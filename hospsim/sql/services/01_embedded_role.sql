-- The application role and database on the embedded server, run by psql as the admin role with -v app_user
-- and app_db; the password comes from the environment (HOSPSIM_APP_PASSWORD), never the command line.
-- Not a superuser: LOGIN, REPLICATION (Debezium's and the throughput's logical slots) and the ownership of
-- its database (CREATE there: it makes and owns its schemas, tables, triggers and publications). An older
-- hospsim made it a superuser; the ALTER takes that back on the next start.
\getenv app_password HOSPSIM_APP_PASSWORD
SET log_min_error_statement = panic;  -- a failing statement is not logged with its password
SELECT format('CREATE ROLE %I', :'app_user')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'app_user')
\gexec
ALTER ROLE :"app_user" WITH LOGIN REPLICATION NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS
    PASSWORD :'app_password';
SELECT format('CREATE DATABASE %I OWNER %I', :'app_db', :'app_user')
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'app_db')
\gexec
ALTER DATABASE :"app_db" OWNER TO :"app_user";
