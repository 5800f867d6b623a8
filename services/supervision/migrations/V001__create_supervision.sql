-- Group Case Supervision. Cases and allocations are a projection of case_records' events
-- (never read from its schema); availability, sessions and their records are supervision's own.

-- ---- Projection of case_records events ----

CREATE TABLE cases (
  case_id text PRIMARY KEY,
  team text NOT NULL,
  open boolean NOT NULL DEFAULT true,
  -- When the first practitioner was allocated (the first GCS falls due M days after).
  first_allocation_time timestamptz,
  -- The last GCS held, and the next due date it set (NULL: the policy's interval applies).
  last_held_time timestamptz,
  next_due_date date,
  update_time timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cases_team ON cases (team) WHERE open;

CREATE TABLE allocations (
  allocation_id text PRIMARY KEY,
  case_id text NOT NULL REFERENCES cases,
  practitioner text NOT NULL,
  role text NOT NULL,
  active boolean NOT NULL DEFAULT true
);
CREATE INDEX allocations_case ON allocations (case_id) WHERE active;
CREATE INDEX allocations_practitioner ON allocations (practitioner) WHERE active;

-- ---- Who chairs ----

CREATE TABLE team_chairs (
  team text PRIMARY KEY,
  chair text NOT NULL,
  deputies text[] NOT NULL DEFAULT '{}',
  version bigint NOT NULL DEFAULT 1,
  update_time timestamptz NOT NULL DEFAULT now()
);

-- ---- Availability ----

-- Weekly pattern; no row: Monday to Friday 09:00-17:00.
CREATE TABLE working_hours (
  practitioner text PRIMARY KEY,
  -- fs.supervision.v1.WorkingHours as JSON (days with ranges of local minutes).
  pattern jsonb NOT NULL,
  version bigint NOT NULL DEFAULT 1,
  update_time timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE leave (
  leave_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  practitioner text NOT NULL,
  first_day date NOT NULL,
  last_day date NOT NULL CHECK (last_day >= first_day),
  note text NOT NULL DEFAULT '',
  deleted boolean NOT NULL DEFAULT false,
  create_time timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX leave_practitioner ON leave (practitioner, last_day) WHERE NOT deleted;

CREATE TABLE busy_blocks (
  block_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  practitioner text NOT NULL,
  start_time timestamptz NOT NULL,
  end_time timestamptz NOT NULL CHECK (end_time > start_time),
  source text NOT NULL CHECK (source IN ('api', 'ical')),
  deleted boolean NOT NULL DEFAULT false,
  create_time timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX busy_blocks_practitioner ON busy_blocks (practitioner, end_time) WHERE NOT deleted;

-- ---- Sessions ----

CREATE TABLE sessions (
  seq bigserial UNIQUE,
  session_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  team text NOT NULL,
  chair text NOT NULL,
  start_time timestamptz NOT NULL,
  end_time timestamptz NOT NULL CHECK (end_time > start_time),
  state text NOT NULL CHECK (state IN ('PROPOSED', 'CONFIRMED', 'CANCELLED', 'HELD')),
  attended text[] NOT NULL DEFAULT '{}',
  cancel_reason text NOT NULL DEFAULT '',
  -- iCalendar SEQUENCE.
  sequence integer NOT NULL DEFAULT 0,
  version bigint NOT NULL DEFAULT 1,
  create_time timestamptz NOT NULL DEFAULT now(),
  update_time timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sessions_team_time ON sessions (team, start_time);
CREATE INDEX sessions_chair_time ON sessions (chair, start_time);

CREATE TABLE session_cases (
  session_id uuid NOT NULL REFERENCES sessions,
  case_id text NOT NULL REFERENCES cases,
  start_time timestamptz NOT NULL,
  end_time timestamptz NOT NULL,
  attendees text[] NOT NULL DEFAULT '{}',
  -- fs.supervision.v1.CaseRecord as JSON once held.
  record jsonb,
  PRIMARY KEY (session_id, case_id)
);
CREATE INDEX session_cases_case ON session_cases (case_id);
CREATE INDEX session_cases_attendees ON session_cases USING gin (attendees);

-- A held session's record is never changed or deleted.
CREATE FUNCTION guard_held() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF OLD.record IS NOT NULL THEN
      RAISE EXCEPTION 'a GCS record is never deleted' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN OLD;
  END IF;
  IF OLD.record IS NOT NULL THEN
    RAISE EXCEPTION 'a GCS record is never changed' USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER session_cases_guard BEFORE UPDATE OR DELETE ON session_cases
  FOR EACH ROW EXECUTE FUNCTION guard_held();

-- Idempotent creates: the first result of (caller, method, request_id).
CREATE TABLE create_requests (
  principal text NOT NULL,
  method text NOT NULL,
  request_id text NOT NULL,
  resource text NOT NULL,
  create_time timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (principal, method, request_id)
);
