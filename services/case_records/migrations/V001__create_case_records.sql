-- Case records: families (cases), people, MDT allocations, CP plans, looked-after episodes,
-- alerts and the NHS access log. Applied with search_path set to this service's schema.

CREATE TABLE cases (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  seq bigserial UNIQUE,
  council_reference text NOT NULL DEFAULT '',
  state text NOT NULL CHECK (state IN ('REFERRAL', 'ASSESSMENT', 'CHILD_IN_NEED',
                                       'CHILD_PROTECTION', 'LOOKED_AFTER', 'CLOSED')),
  referral_date date NOT NULL,
  referral_source text NOT NULL,
  primary_need_code text NOT NULL DEFAULT '',
  team text NOT NULL,
  closure_date date,
  reason_for_closure text NOT NULL DEFAULT '',
  re_referral_count int NOT NULL DEFAULT 0,
  version bigint NOT NULL DEFAULT 1,
  create_time timestamptz NOT NULL DEFAULT now(),
  update_time timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cases_team ON cases (team, seq);

-- Every referral episode of a case: reopening keeps the earlier ones.
CREATE TABLE case_referrals (
  case_id uuid NOT NULL REFERENCES cases (id),
  referral_number int NOT NULL,
  referral_date date NOT NULL,
  referral_source text NOT NULL,
  closure_date date,
  reason_for_closure text NOT NULL DEFAULT '',
  PRIMARY KEY (case_id, referral_number)
);

CREATE TABLE case_state_changes (
  case_id uuid NOT NULL REFERENCES cases (id),
  seq bigserial PRIMARY KEY,
  from_state text,
  to_state text NOT NULL,
  changed_by text NOT NULL,
  change_time timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE people (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  seq bigserial UNIQUE,
  case_id uuid NOT NULL REFERENCES cases (id),
  kind text NOT NULL CHECK (kind IN ('CHILD', 'ADULT')),
  given_name text NOT NULL,
  family_name text NOT NULL,
  given_key text NOT NULL,
  family_key text NOT NULL,
  nhs_number text,
  la_child_id text NOT NULL DEFAULT '',
  upn text NOT NULL DEFAULT '',
  birth_date date,
  expected_birth_date date,
  gender_current int NOT NULL DEFAULT 0,
  assessment_factors text[] NOT NULL DEFAULT '{}',
  version bigint NOT NULL DEFAULT 1,
  create_time timestamptz NOT NULL DEFAULT now(),
  update_time timestamptz NOT NULL DEFAULT now(),
  CHECK (kind = 'ADULT' OR birth_date IS NOT NULL OR expected_birth_date IS NOT NULL)
);
CREATE INDEX people_case ON people (case_id, seq);
CREATE INDEX people_nhs_number ON people (nhs_number) WHERE nhs_number IS NOT NULL;
CREATE INDEX people_family_key ON people (family_key);
CREATE INDEX people_given_key ON people (given_key);

CREATE TABLE person_relationships (
  adult_id uuid NOT NULL REFERENCES people (id),
  child_id uuid NOT NULL REFERENCES people (id),
  relationship text NOT NULL,
  parental_responsibility boolean NOT NULL,
  ordinal int NOT NULL,
  PRIMARY KEY (adult_id, child_id)
);

CREATE TABLE allocations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  seq bigserial UNIQUE,
  case_id uuid NOT NULL REFERENCES cases (id),
  practitioner text NOT NULL,
  role text NOT NULL,
  team text NOT NULL,
  start_time timestamptz NOT NULL DEFAULT now(),
  end_time timestamptz,
  end_reason text NOT NULL DEFAULT ''
);
-- At most one active lead social worker per case, and one active allocation per practitioner
-- and role; the service keeps "exactly one lead on an open case".
CREATE UNIQUE INDEX allocations_one_lead ON allocations (case_id)
  WHERE role = 'LEAD_SOCIAL_WORKER' AND end_time IS NULL;
CREATE UNIQUE INDEX allocations_active ON allocations (case_id, practitioner, role)
  WHERE end_time IS NULL;
CREATE INDEX allocations_practitioner ON allocations (practitioner, seq) WHERE end_time IS NULL;

CREATE TABLE child_protection_plans (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  seq bigserial UNIQUE,
  case_id uuid NOT NULL REFERENCES cases (id),
  person_id uuid NOT NULL REFERENCES people (id),
  start_date date NOT NULL,
  end_date date,
  initial_category text NOT NULL,
  latest_category text NOT NULL,
  review_date date,
  number_of_previous_plans int NOT NULL,
  version bigint NOT NULL DEFAULT 1,
  CHECK (end_date IS NULL OR end_date >= start_date)
);
CREATE UNIQUE INDEX child_protection_plans_one_open ON child_protection_plans (person_id)
  WHERE end_date IS NULL;

CREATE TABLE looked_after_episodes (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  seq bigserial UNIQUE,
  case_id uuid NOT NULL REFERENCES cases (id),
  person_id uuid NOT NULL REFERENCES people (id),
  start_date date NOT NULL,
  legal_status text NOT NULL,
  end_date date,
  reason_ended text NOT NULL DEFAULT '',
  CHECK (end_date IS NULL OR end_date >= start_date)
);
CREATE UNIQUE INDEX looked_after_episodes_one_open ON looked_after_episodes (person_id)
  WHERE end_date IS NULL;

CREATE TABLE alerts (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  seq bigserial UNIQUE,
  practitioner text NOT NULL,
  case_id uuid REFERENCES cases (id),
  person_id uuid REFERENCES people (id),
  message text NOT NULL,
  create_time timestamptz NOT NULL DEFAULT now(),
  acknowledge_time timestamptz
);
CREATE INDEX alerts_practitioner ON alerts (practitioner, seq);

-- Every NHS look-up by NHS number, whether or not we hold the child (the answer must not tell).
CREATE TABLE nhs_accesses (
  seq bigserial PRIMARY KEY,
  nhs_number text NOT NULL,
  organisation text NOT NULL,
  access_time timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX nhs_accesses_number ON nhs_accesses (nhs_number, seq DESC);

-- Idempotent creates: the first result of (caller, method, request_id).
CREATE TABLE create_requests (
  principal text NOT NULL,
  method text NOT NULL,
  request_id text NOT NULL,
  resource text NOT NULL,
  create_time timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (principal, method, request_id)
);
