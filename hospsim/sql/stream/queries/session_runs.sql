-- The runs whose events the stream tables hold.
SELECT DISTINCT run_id FROM stream.sessions
