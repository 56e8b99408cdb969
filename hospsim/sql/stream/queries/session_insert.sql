INSERT INTO stream.sessions (run_id, path, mode, target_per_s, events, produced_per_s, consumed_per_s, started_at,
                             finished_at)
VALUES (%(run_id)s, %(path)s, %(mode)s, %(target_per_s)s, %(events)s, %(produced_per_s)s, %(consumed_per_s)s,
        %(started_at)s, %(finished_at)s)
RETURNING session_id
