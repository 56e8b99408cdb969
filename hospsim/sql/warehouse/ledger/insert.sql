-- A loaded file, written last in the file's own transaction, so it exists only if the rows do.
-- seconds: how long the file's transaction has taken so far (it commits right after).
INSERT INTO {schema}.ingest_ledger (file_id, file_name, sha256, kind, rows, bytes, seconds, run_id)
VALUES (%(file_id)s, %(name)s, %(sha256)s, %(kind)s, %(rows)s, %(bytes)s,
        extract(epoch FROM clock_timestamp() - now()), %(run_id)s);
