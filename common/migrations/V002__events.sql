-- Events between services (docs/events.md). A producer uses outbox*; a subscriber uses inbox*.
-- Every service gets both: the tables are small when unused.

-- Events written in the same transaction as the change they describe.
CREATE TABLE outbox (
  id bigserial PRIMARY KEY,
  event_id uuid NOT NULL UNIQUE,
  case_key text NOT NULL,
  sequence bigint NOT NULL,
  type text NOT NULL,
  envelope bytea NOT NULL,
  occurred_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (case_key, sequence)
);

-- The last sequence given out per case: the row lock makes sequences gapless and ordered.
CREATE TABLE outbox_sequences (
  case_key text PRIMARY KEY,
  last_sequence bigint NOT NULL
);

-- What each subscriber has acknowledged per case; a case parked by a rejected event (until an
-- operator skips or fixes it); a case stalled by an event the subscriber could not take yet
-- (retried after retry_after).
CREATE TABLE outbox_progress (
  subscriber text NOT NULL,
  case_key text NOT NULL,
  acked_sequence bigint NOT NULL DEFAULT 0,
  rejected_event uuid,
  rejected_reason text NOT NULL DEFAULT '',
  stalled_reason text NOT NULL DEFAULT '',
  retry_after timestamptz,
  update_time timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (subscriber, case_key)
);

-- Events applied here, recorded in the same transaction as their effect.
CREATE TABLE inbox (
  event_id uuid PRIMARY KEY,
  producer text NOT NULL,
  case_key text NOT NULL,
  sequence bigint NOT NULL,
  type text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
);

-- The last sequence applied per producer and case, and the last one rejected (which the
-- producer may skip: the next event then names it as its previous_sequence).
CREATE TABLE inbox_cases (
  producer text NOT NULL,
  case_key text NOT NULL,
  last_sequence bigint NOT NULL,
  rejected_sequence bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (producer, case_key)
);
