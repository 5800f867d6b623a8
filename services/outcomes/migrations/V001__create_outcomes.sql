-- Outcomes: a projection of the services' events (never their schemas) and the partners'
-- reports. The projection holds facts, never names: people are matched by NHS number or by a
-- keyed name match key (common/name_match.h).

-- ---- Projection of case_records events ----

CREATE TABLE cases (
  case_id text PRIMARY KEY,
  open boolean NOT NULL DEFAULT true,
  update_time timestamptz NOT NULL DEFAULT now()
);

-- The team from each time on (CaseOpened, then every CaseTeamChanged).
CREATE TABLE case_teams (
  case_id text NOT NULL REFERENCES cases,
  from_time timestamptz NOT NULL,
  team text NOT NULL,
  PRIMARY KEY (case_id, from_time, team)
);
CREATE INDEX case_teams_team ON case_teams (team);

-- Referral-to-closure periods; a reopened case has several.
CREATE TABLE case_periods (
  case_id text NOT NULL REFERENCES cases,
  period integer NOT NULL,
  referral_date date NOT NULL,
  closure_date date,
  PRIMARY KEY (case_id, period)
);

CREATE TABLE people (
  person_id text PRIMARY KEY,
  case_id text NOT NULL REFERENCES cases,
  kind text NOT NULL,
  nhs_number text NOT NULL DEFAULT '',
  birth_date date,
  name_match_key text NOT NULL DEFAULT '',
  factors text[] NOT NULL DEFAULT '{}'
);
CREATE INDEX people_case ON people (case_id);
CREATE INDEX people_nhs_number ON people (nhs_number) WHERE nhs_number <> '';
CREATE INDEX people_name_match_key ON people (name_match_key) WHERE name_match_key <> '';

CREATE TABLE cp_plans (
  plan_id text PRIMARY KEY,
  case_id text NOT NULL REFERENCES cases,
  person_id text NOT NULL,
  start_date date NOT NULL,
  end_date date
);

CREATE TABLE looked_after_episodes (
  episode_id text PRIMARY KEY,
  case_id text NOT NULL REFERENCES cases,
  person_id text NOT NULL,
  start_date date NOT NULL,
  end_date date
);

-- Who is allocated to which case (who may read a police report about the family).
CREATE TABLE allocations (
  allocation_id text PRIMARY KEY,
  case_id text NOT NULL REFERENCES cases,
  practitioner text NOT NULL,
  role text NOT NULL,
  active boolean NOT NULL DEFAULT true
);
CREATE INDEX allocations_practitioner ON allocations (practitioner) WHERE active;

-- ---- From the workbook and supervision (the case may not be known here yet) ----

-- The latest revision of each module session entry; a correction that made the entry another
-- kind leaves `removed` (so an older revision arriving later cannot bring it back).
CREATE TABLE module_sessions (
  entry text PRIMARY KEY,
  case_id text NOT NULL,
  module integer NOT NULL,
  occur_time timestamptz NOT NULL,
  revision integer NOT NULL,
  removed boolean NOT NULL DEFAULT false
);

CREATE TABLE gcs_held (
  case_id text NOT NULL,
  session text NOT NULL,
  held_time timestamptz NOT NULL,
  on_time boolean NOT NULL,
  PRIMARY KEY (case_id, session)
);

-- ---- Partners' reports ----

-- Police domestic-abuse incidents (Operation Encompass). `report` is the request as received
-- (fs.outcomes.v1.ReportDomesticAbuseIncidentRequest as JSON), `content_hash` the SHA-256 of its
-- deterministic encoding, so a resend
-- is told from a different report under the same reference.
CREATE TABLE incidents (
  incident_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  seq bigserial NOT NULL UNIQUE,
  force text NOT NULL,
  police_reference text NOT NULL,
  content_hash text NOT NULL,
  report jsonb NOT NULL,
  incident_time timestamptz NOT NULL,
  children integer NOT NULL,
  receive_time timestamptz NOT NULL DEFAULT now(),
  respond_by timestamptz NOT NULL,
  UNIQUE (force, police_reference)
);
CREATE INDEX incidents_force_seq ON incidents (force, seq);

-- Which people of which cases an incident names (a match, or the front door's link).
CREATE TABLE incident_matches (
  incident_id uuid NOT NULL REFERENCES incidents,
  case_id text NOT NULL,
  person_id text NOT NULL,
  matched_by text NOT NULL,
  incident_day date NOT NULL,
  PRIMARY KEY (incident_id, person_id)
);
CREATE INDEX incident_matches_case ON incident_matches (case_id);

CREATE TABLE front_door_items (
  item_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  seq bigserial NOT NULL UNIQUE,
  incident_id uuid NOT NULL UNIQUE REFERENCES incidents,
  state text NOT NULL DEFAULT 'WAITING',
  linked_person text NOT NULL DEFAULT '',
  resolution_reason text NOT NULL DEFAULT '',
  resolved_by text NOT NULL DEFAULT '',
  resolve_time timestamptz,
  version integer NOT NULL DEFAULT 1
);
CREATE INDEX front_door_waiting ON front_door_items (seq) WHERE state = 'WAITING';

-- NHS emergency admissions and A&E attendances. Of a person on no open case only the episode
-- reference, date and kind are kept (for idempotency): not the NHS number.
CREATE TABLE admissions (
  admission_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  seq bigserial NOT NULL UNIQUE,
  organisation text NOT NULL,
  episode_reference text NOT NULL,
  content_hash text NOT NULL,
  admission_date date NOT NULL,
  kind text NOT NULL,
  reason text NOT NULL,
  receive_time timestamptz NOT NULL DEFAULT now(),
  people integer NOT NULL,
  UNIQUE (organisation, episode_reference)
);
CREATE INDEX admissions_organisation_seq ON admissions (organisation, seq);

CREATE TABLE admission_matches (
  admission_id uuid NOT NULL REFERENCES admissions,
  case_id text NOT NULL,
  person_id text NOT NULL,
  admission_date date NOT NULL,
  PRIMARY KEY (admission_id, person_id)
);
CREATE INDEX admission_matches_case ON admission_matches (case_id);
