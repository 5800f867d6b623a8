-- "Data as of" in outcomes' reports is the newest applied event: an index keeps it a look-up
-- rather than a scan of every event ever received.
CREATE INDEX IF NOT EXISTS inbox_applied_at ON inbox (applied_at);
