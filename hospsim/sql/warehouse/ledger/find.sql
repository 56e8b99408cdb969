-- Every load of this file name, oldest first: (sha256, file_id, ingested_at). The same sha256 means loaded
-- already; another one means the name was loaded with other content (see Ingestor._changed_content).
SELECT sha256, file_id, ingested_at FROM {schema}.ingest_ledger WHERE file_name = %(name)s ORDER BY file_id;
