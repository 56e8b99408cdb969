-- Has this exact file (name and content) been loaded already?
SELECT file_id FROM {schema}.ingest_ledger WHERE file_name = %(name)s AND sha256 = %(sha256)s;
