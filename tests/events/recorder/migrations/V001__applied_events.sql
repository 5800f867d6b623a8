-- What the test subscriber applied, in the order it applied it. Deliberately not unique on
-- event_id: a second application must show up as a second row, not as an error.
CREATE TABLE applied_events (
  applied_order bigserial PRIMARY KEY,
  event_id uuid NOT NULL,
  case_key text NOT NULL,
  sequence bigint NOT NULL,
  type text NOT NULL
);
CREATE INDEX applied_events_case ON applied_events (case_key, applied_order);
