-- Slack interactivity requests keyward has accepted, by their signature. Slack signs the timestamp
-- and the body, so an identical replay carries the same signature: inside Slack's five-minute window
-- it is refused (slack_replayed) on every replica; rows older than the window are deleted as new
-- requests arrive.
CREATE TABLE slack_interactions (
  signature text PRIMARY KEY,
  received_at timestamptz NOT NULL
);
CREATE INDEX slack_interactions_received_at ON slack_interactions (received_at);
