-- Everything the stream processor made; data/stream/ files are removed separately.
DROP SCHEMA IF EXISTS {schema} CASCADE;
