-- Runs once, when the compose PostgreSQL volume is first initialised
-- (docker-entrypoint-initdb.d). Locally the write and read sides are two
-- databases in one server; in production they are separate servers.
-- The services create their tables themselves (migrations at start).
CREATE DATABASE ferrule_write;
CREATE DATABASE ferrule_read;
