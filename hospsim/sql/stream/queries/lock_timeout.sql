-- Schema creation waits this long for a table lock, then gives up and is retried (never an endless wait).
SET LOCAL lock_timeout = '5s'
