-- The checksums loaded under this file name (usually none: then the file is hashed while it is copied).
SELECT sha256 FROM {schema}.ingest_ledger WHERE file_name = %(name)s;
