-- The file kinds loaded at least once: what later files may depend on.
SELECT DISTINCT kind FROM {schema}.ingest_ledger;
