-- Database roles and schemas for the Family Safeguarding services. Idempotent: safe to run
-- on every start. Run as a superuser against the service database (scripts/pg.sh start
-- runs it against `fs`); it also works on any other database, e.g. one a test created.
--
-- Each service has two login roles with no rights in any other service's schema:
--   fs_<service>      owns schema <service>; used only to migrate (--migration_db_url);
--   fs_<service>_app  the running service (--db_url): DML on the tables, nothing owned, so it
--                     cannot alter tables or disable the audit log's triggers. The service
--                     grants it at start-up (GrantRuntimeAccess). The roles have no password: the local development/test cluster uses
-- trust authentication on loopback. Production uses real credentials (TLS + password or
-- certificate authentication), provisioned outside this script.

\set ON_ERROR_STOP on
SET client_min_messages = warning;

DO $$
DECLARE
  svc  text;
  role text;
BEGIN
  FOREACH svc IN ARRAY ARRAY['case_records', 'workbook', 'supervision', 'outcomes'] LOOP
    role := 'fs_' || svc;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = role) THEN
      EXECUTE format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION',
                     role);
    END IF;
    EXECUTE format('CREATE SCHEMA IF NOT EXISTS %I AUTHORIZATION %I', svc, role);
    EXECUTE format('ALTER SCHEMA %I OWNER TO %I', svc, role);
    -- Unqualified names resolve to the service's own schema.
    EXECUTE format('ALTER ROLE %I IN DATABASE %I SET search_path = %I',
                   role, current_database(), svc);
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = role || '_app') THEN
      EXECUTE format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION',
                     role || '_app');
    END IF;
    EXECUTE format('ALTER ROLE %I IN DATABASE %I SET search_path = %I',
                   role || '_app', current_database(), svc);
  END LOOP;
END
$$;

-- Nobody but owners and superusers creates objects in public (already the default in
-- PostgreSQL 15; stated here for clusters created by older versions).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

-- Only the service roles may connect.
DO $$
DECLARE
  svc text;
BEGIN
  EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database());
  FOREACH svc IN ARRAY ARRAY['case_records', 'workbook', 'supervision', 'outcomes'] LOOP
    EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I',
                   current_database(), 'fs_' || svc);
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), 'fs_' || svc || '_app');
  END LOOP;
END
$$;
