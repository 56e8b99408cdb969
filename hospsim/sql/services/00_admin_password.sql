-- The admin role's password, on a data folder an older hospsim made (its socket trusted every local user
-- and the admin role had none). Run by psql; the password comes from the environment, never the command line.
\getenv admin_password HOSPSIM_ADMIN_PASSWORD
SET log_min_error_statement = panic;  -- a failing statement is not logged with its password
ALTER ROLE CURRENT_USER WITH PASSWORD :'admin_password';
