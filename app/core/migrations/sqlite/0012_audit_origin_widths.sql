-- Mirrors migrations/mysql/0012, which widens the audit log's `request_id` and `trace_id` columns
-- for MariaDB. SQLite's TEXT columns have no length to widen; the migration exists so that both
-- engines' migration histories stay alike.
SELECT 1;
