-- What the test subscriber applied, in the order it applied it.
CREATE TABLE applied_events (
  applied_order bigserial PRIMARY KEY,
  event_id uuid NOT NULL UNIQUE,
  case_key text NOT NULL,
  sequence bigint NOT NULL,
  type text NOT NULL
);
