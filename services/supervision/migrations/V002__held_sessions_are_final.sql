-- A held session (its state and who attended) is as final as its cases' records: never changed
-- or deleted, and neither table is ever truncated. The service's runtime role cannot disable
-- these triggers (it does not own the tables).
CREATE FUNCTION guard_held_session() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.state = 'HELD' THEN
    RAISE EXCEPTION 'a held GCS is never changed or deleted' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER sessions_guard BEFORE UPDATE OR DELETE ON sessions
  FOR EACH ROW EXECUTE FUNCTION guard_held_session();

CREATE FUNCTION refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'GCS sessions and records are never truncated' USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER sessions_no_truncate BEFORE TRUNCATE ON sessions
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_truncate();
CREATE TRIGGER session_cases_no_truncate BEFORE TRUNCATE ON session_cases
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_truncate();
