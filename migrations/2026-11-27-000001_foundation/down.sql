DROP TABLE audit_log;
DROP FUNCTION audit_log_append_only();
DROP TABLE idempotency_keys;
DROP TABLE login_failures;
DROP TABLE refresh_tokens;
DROP TABLE sessions;
DROP TABLE users;
DROP TABLE units;
