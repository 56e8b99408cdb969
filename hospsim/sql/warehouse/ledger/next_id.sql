-- A file_id for the file about to load: its rows carry it before its ledger row is written.
SELECT nextval(pg_get_serial_sequence(quote_ident(%(schema)s) || '.ingest_ledger', 'file_id'));
