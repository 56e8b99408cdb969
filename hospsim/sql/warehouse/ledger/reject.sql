-- A rejected file and why (the same text as data/rejected/<file>.reason.txt).
INSERT INTO {schema}.ingest_rejection (file_name, sha256, kind, reason)
VALUES (%(name)s, %(sha256)s, %(kind)s, %(reason)s);
