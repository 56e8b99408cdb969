-- The checks are done; the view must not outlive the transaction (the next file stages into a table "stage").
DROP VIEW pg_temp.stage;
