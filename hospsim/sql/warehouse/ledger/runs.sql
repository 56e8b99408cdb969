-- The runs whose files the warehouse holds: one world per schema (hospsim.run).
SELECT DISTINCT run_id FROM {schema}.ingest_ledger WHERE run_id IS NOT NULL;
