-- Append-only audit log with a hash chain, created in every service's schema.
-- Each row's hash covers the previous row's hash and this row's fields, so an edited or removed
-- row breaks the chain; verify_audit_chain() finds the first broken row.
CREATE TABLE audit_log (
  id bigint PRIMARY KEY,
  occurred_at timestamptz NOT NULL,
  principal text NOT NULL,
  role text NOT NULL,
  action text NOT NULL,
  resource text NOT NULL,
  break_glass_reason text NOT NULL DEFAULT '',
  outcome text NOT NULL,
  prev_hash text NOT NULL,
  row_hash text NOT NULL
);
CREATE INDEX audit_log_break_glass ON audit_log (id) WHERE break_glass_reason <> '';
CREATE INDEX audit_log_resource ON audit_log (resource, id);

-- The canonical text a row's hash is computed over: each field length-prefixed.
CREATE FUNCTION audit_canonical(prev_hash text, id bigint, occurred_at timestamptz,
                                principal text, role text, action text, resource text,
                                break_glass_reason text, outcome text)
RETURNS text LANGUAGE sql IMMUTABLE
SET search_path FROM CURRENT AS $$
  SELECT string_agg(octet_length(f)::text || ':' || f, '' ORDER BY n)
  FROM unnest(ARRAY[prev_hash, id::text,
                    ((extract(epoch FROM occurred_at) * 1000000)::bigint)::text,
                    principal, role, action, resource, break_glass_reason, outcome])
       WITH ORDINALITY AS t(f, n)
$$;

-- SET search_path FROM CURRENT pins the functions to this schema whoever calls them.
CREATE FUNCTION audit_log_chain() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
DECLARE
  last record;
BEGIN
  -- Serialise appenders until commit, so ids follow commit order and each row sees its
  -- predecessor (READ COMMITTED takes a fresh snapshot per statement).
  PERFORM pg_advisory_xact_lock(hashtext(TG_TABLE_SCHEMA || '.audit_log'));
  SELECT a.id, a.row_hash INTO last FROM audit_log a ORDER BY a.id DESC LIMIT 1;
  NEW.id := coalesce(last.id, 0) + 1;
  NEW.prev_hash := coalesce(last.row_hash, repeat('0', 64));
  NEW.occurred_at := clock_timestamp();
  NEW.row_hash := encode(sha256(convert_to(audit_canonical(
      NEW.prev_hash, NEW.id, NEW.occurred_at, NEW.principal, NEW.role, NEW.action,
      NEW.resource, NEW.break_glass_reason, NEW.outcome), 'UTF8')), 'hex');
  RETURN NEW;
END
$$;

CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_chain();
CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();

-- Returns the id of the first row whose hash does not verify, or NULL when the chain is intact.
CREATE FUNCTION verify_audit_chain() RETURNS bigint LANGUAGE plpgsql STABLE
SET search_path FROM CURRENT AS $$
DECLARE
  r record;
  expected_prev text := repeat('0', 64);
  expected_id bigint := 1;
BEGIN
  FOR r IN SELECT * FROM audit_log ORDER BY id LOOP
    IF r.id <> expected_id OR r.prev_hash <> expected_prev OR
       r.row_hash <> encode(sha256(convert_to(audit_canonical(
           r.prev_hash, r.id, r.occurred_at, r.principal, r.role, r.action, r.resource,
           r.break_glass_reason, r.outcome), 'UTF8')), 'hex') THEN
      RETURN r.id;
    END IF;
    expected_prev := r.row_hash;
    expected_id := r.id + 1;
  END LOOP;
  RETURN NULL;
END
$$;
