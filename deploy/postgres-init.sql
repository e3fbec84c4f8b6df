-- Roles for compose.yaml: pos_owner (created by the image) owns the tables
-- and runs migrations; pos_app is the server's login, which owns nothing
-- and cannot bypass row-level security. The migrations grant table
-- privileges to pos_rw.
CREATE ROLE pos_rw NOLOGIN;
CREATE ROLE pos_app LOGIN PASSWORD 'pos_app' NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
GRANT pos_rw TO pos_app;
