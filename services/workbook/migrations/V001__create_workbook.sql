-- The Electronic Workbook. Cases, allocations, people and case history are a projection of
-- case_records' events (never read from its schema); entries and parenting assessments are
-- the workbook's own records, never deleted.

-- ---- Projection of case_records events ----

CREATE TABLE cases (
  case_id text PRIMARY KEY,
  team text NOT NULL,
  state text NOT NULL,
  update_time timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cases_team ON cases (team);

CREATE TABLE allocations (
  allocation_id text PRIMARY KEY,
  case_id text NOT NULL REFERENCES cases,
  practitioner text NOT NULL,
  role text NOT NULL,
  active boolean NOT NULL DEFAULT true
);
CREATE INDEX allocations_practitioner ON allocations (practitioner, case_id) WHERE active;
CREATE INDEX allocations_case ON allocations (case_id) WHERE active;

CREATE TABLE people (
  case_id text NOT NULL REFERENCES cases,
  person_id text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('CHILD', 'ADULT')),
  PRIMARY KEY (case_id, person_id)
);

-- What happened to the case, for chronologies.
CREATE TABLE case_history (
  seq bigserial PRIMARY KEY,
  case_id text NOT NULL REFERENCES cases,
  event_id text NOT NULL UNIQUE,
  kind text NOT NULL,
  occur_time timestamptz NOT NULL,
  date_only boolean NOT NULL,
  -- NULL: the whole family.
  person_id text,
  summary text NOT NULL,
  recorded_by text NOT NULL DEFAULT ''
);
CREATE INDEX case_history_case ON case_history (case_id, occur_time);

-- ---- Entries ----

CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TABLE entries (
  seq bigserial UNIQUE,
  entry_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  case_id text NOT NULL REFERENCES cases,
  kind text NOT NULL,
  state text NOT NULL CHECK (state IN ('DRAFT', 'FINAL', 'SIGNED_OFF')),
  visibility text NOT NULL
    CHECK (visibility IN ('NORMAL', 'RESTRICTED_FROM_PERPETRATOR', 'SEALED')),
  sealed_roles text[] NOT NULL DEFAULT '{}',
  author text NOT NULL,
  occur_time timestamptz NOT NULL,
  record_time timestamptz NOT NULL DEFAULT now(),
  module integer NOT NULL DEFAULT 0 CHECK (module >= 0),
  significant boolean NOT NULL DEFAULT false,
  -- Person ids on the case; empty: the whole family.
  subjects text[] NOT NULL DEFAULT '{}',
  -- [{"person": "...", "importance": 7, ...}] as fs.workbook.v1.ScalingScore JSON.
  scaling_scores jsonb NOT NULL DEFAULT '[]',
  title text NOT NULL,
  body text NOT NULL,
  revision integer NOT NULL DEFAULT 0,
  finalise_time timestamptz,
  signed_off_by text,
  sign_off_time timestamptz,
  update_time timestamptz NOT NULL DEFAULT now(),
  version bigint NOT NULL DEFAULT 1,
  -- PostgreSQL's parser drops anything shaped like an HTML tag ("<not safe>"): angle brackets
  -- become private-use characters (U+E000, U+E001; refused in entries) before parsing, so that
  -- every word is searchable. Search snippets map them back.
  search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english', translate(title, '<>', U&'\E000\E001')), 'A') ||
    setweight(to_tsvector('english', translate(body, '<>', U&'\E000\E001')), 'B')
  ) STORED
);
CREATE INDEX entries_case_time ON entries (case_id, occur_time DESC, seq DESC);
CREATE INDEX entries_search ON entries USING gin (search);
CREATE INDEX entries_subjects ON entries USING gin (subjects);

-- Every finalised revision of an entry with its content as it stood (JSON of
-- fs.workbook.v1.EntryRevision). Rows are only ever added, and signed off once.
CREATE TABLE entry_revisions (
  entry_id uuid NOT NULL REFERENCES entries,
  revision integer NOT NULL CHECK (revision >= 1),
  revised_by text NOT NULL,
  revise_time timestamptz NOT NULL DEFAULT now(),
  reason text NOT NULL,
  content jsonb NOT NULL,
  signed_off_by text,
  sign_off_time timestamptz,
  PRIMARY KEY (entry_id, revision)
);

-- A final entry never changes silently: its content changes only together with a new
-- revision (a correction), and nothing is deleted.
CREATE FUNCTION guard_entry() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'workbook entries are never deleted' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF OLD.state <> 'DRAFT' THEN
    IF NEW.state = 'DRAFT' THEN
      RAISE EXCEPTION 'a final entry cannot return to draft' USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.revision = OLD.revision AND (
         NEW.kind, NEW.visibility, NEW.sealed_roles, NEW.occur_time, NEW.module,
         NEW.significant, NEW.subjects, NEW.scaling_scores, NEW.title, NEW.body, NEW.author,
         NEW.case_id
       ) IS DISTINCT FROM (
         OLD.kind, OLD.visibility, OLD.sealed_roles, OLD.occur_time, OLD.module,
         OLD.significant, OLD.subjects, OLD.scaling_scores, OLD.title, OLD.body, OLD.author,
         OLD.case_id
       ) THEN
      RAISE EXCEPTION 'a final entry changes only by a correction (a new revision)'
        USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.revision NOT IN (OLD.revision, OLD.revision + 1) THEN
      RAISE EXCEPTION 'revisions go up by one' USING ERRCODE = 'check_violation';
    END IF;
    -- A sign-off stands for its revision: only a new revision clears it.
    IF NEW.revision = OLD.revision AND OLD.state = 'SIGNED_OFF'
       AND (NEW.state, NEW.signed_off_by, NEW.sign_off_time)
           IS DISTINCT FROM (OLD.state, OLD.signed_off_by, OLD.sign_off_time) THEN
      RAISE EXCEPTION 'a sign-off is not undone; correct the entry instead'
        USING ERRCODE = 'check_violation';
    END IF;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER entries_guard BEFORE UPDATE OR DELETE ON entries
  FOR EACH ROW EXECUTE FUNCTION guard_entry();

-- At commit, a final entry's current revision is recorded in entry_revisions with the same
-- words: content never changes without its revision row.
CREATE FUNCTION check_revision_recorded() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.state <> 'DRAFT' AND NOT EXISTS (
       SELECT 1 FROM entry_revisions r
       WHERE r.entry_id = NEW.entry_id AND r.revision = NEW.revision
         AND r.content->>'title' = NEW.title AND r.content->>'text' = NEW.body) THEN
    RAISE EXCEPTION 'entry % revision % has no matching revision record', NEW.entry_id,
      NEW.revision USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER entries_revision_recorded AFTER INSERT OR UPDATE ON entries
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION check_revision_recorded();

CREATE FUNCTION guard_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'entry revisions are never deleted' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF (NEW.entry_id, NEW.revision, NEW.revised_by, NEW.revise_time, NEW.reason, NEW.content)
       IS DISTINCT FROM
     (OLD.entry_id, OLD.revision, OLD.revised_by, OLD.revise_time, OLD.reason, OLD.content)
     OR OLD.signed_off_by IS NOT NULL THEN
    RAISE EXCEPTION 'an entry revision is only ever signed off, once'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER entry_revisions_guard BEFORE UPDATE OR DELETE ON entry_revisions
  FOR EACH ROW EXECUTE FUNCTION guard_revision();
CREATE TRIGGER entry_revisions_no_truncate BEFORE TRUNCATE ON entry_revisions
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER entries_no_truncate BEFORE TRUNCATE ON entries
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- ---- Who sees what: the one definition every list, search, count and chronology uses ----

-- The viewer's MDT roles on a case: active allocations, plus TEAM_MANAGER when the viewer
-- manages the case's team. Empty: no relationship (break-glass readers).
CREATE FUNCTION viewer_roles(p_case text, p_viewer text, p_managed_teams text[])
RETURNS text[] LANGUAGE sql STABLE AS $$
  SELECT ARRAY(SELECT a.role FROM allocations a
               WHERE a.case_id = p_case AND a.practitioner = p_viewer AND a.active)
         || CASE WHEN EXISTS (SELECT 1 FROM cases c
                              WHERE c.case_id = p_case AND c.team = ANY (p_managed_teams))
                 THEN ARRAY['TEAM_MANAGER'] ELSE ARRAY[]::text[] END
$$;

-- Whether an entry is visible: a draft to its author only; a final entry, to a viewer with
-- access to the case, when NORMAL; when RESTRICTED_FROM_PERPETRATOR, to those with a relationship
-- (p_roles not empty: not break-glass) who are not the DA perpetrator worker, by MDT role on the
-- case or by their role in general; when SEALED, to holders of the named roles and to its author
-- while they have a relationship. Authorship alone never opens a restricted entry: a manager may
-- have restricted it by a correction since.
CREATE FUNCTION entry_visible(p_state text, p_visibility text, p_sealed_roles text[],
                              p_author text, p_viewer text, p_roles text[],
                              p_perpetrator_worker boolean)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN p_state = 'DRAFT' THEN p_author = p_viewer
         ELSE p_visibility = 'NORMAL'
              OR (p_visibility = 'RESTRICTED_FROM_PERPETRATOR'
                  AND NOT p_perpetrator_worker
                  AND cardinality(p_roles) > 0
                  AND NOT ('DA_PERPETRATOR_WORKER' = ANY (p_roles)))
              OR (p_visibility = 'SEALED'
                  AND (p_sealed_roles && p_roles
                       OR (p_author = p_viewer AND cardinality(p_roles) > 0)))
         END
$$;

-- ---- Parenting assessments ----

CREATE TABLE parenting_assessments (
  seq bigserial UNIQUE,
  assessment_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  case_id text NOT NULL REFERENCES cases,
  person_id text NOT NULL,
  assessor text NOT NULL,
  state text NOT NULL CHECK (state IN ('DRAFT', 'SIGNED_OFF')),
  analysis text NOT NULL DEFAULT '',
  conclusion text NOT NULL DEFAULT '',
  revision integer NOT NULL DEFAULT 1,
  revision_reason text NOT NULL DEFAULT '',
  create_time timestamptz NOT NULL DEFAULT now(),
  update_time timestamptz NOT NULL DEFAULT now(),
  signed_off_by text,
  sign_off_time timestamptz,
  version bigint NOT NULL DEFAULT 1
);
-- One assessment of a parent in progress at a time.
CREATE UNIQUE INDEX parenting_assessments_one_draft ON parenting_assessments (case_id, person_id)
  WHERE state = 'DRAFT';

-- Each signed-off revision, whole (JSON of fs.workbook.v1.ParentingAssessment with the
-- compiled evidence as it was signed off).
CREATE TABLE parenting_assessment_revisions (
  assessment_id uuid NOT NULL REFERENCES parenting_assessments,
  revision integer NOT NULL,
  content jsonb NOT NULL,
  PRIMARY KEY (assessment_id, revision)
);

CREATE TRIGGER parenting_assessment_revisions_append_only
  BEFORE UPDATE OR DELETE ON parenting_assessment_revisions
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER parenting_assessments_no_delete BEFORE DELETE ON parenting_assessments
  FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- Idempotent creates: the first result of (caller, method, request_id).
CREATE TABLE create_requests (
  principal text NOT NULL,
  method text NOT NULL,
  request_id text NOT NULL,
  resource text NOT NULL,
  create_time timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (principal, method, request_id)
);
