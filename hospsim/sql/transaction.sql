-- Savepoints (hospsim.sqlfiles.savepoint): part of a transaction that can be undone on its own, e.g. a fast
-- path tried first and rolled back when a key exists already. {name} is the savepoint's name.

-- name: savepoint
SAVEPOINT {name}

-- name: release
RELEASE SAVEPOINT {name}

-- name: rollback
ROLLBACK TO SAVEPOINT {name}
