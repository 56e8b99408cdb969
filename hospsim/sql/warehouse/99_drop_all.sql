-- Everything `hospsim warehouse init` made: tables, views, ledger. The files in data/processed stay.
DROP SCHEMA IF EXISTS {schema} CASCADE;
