-- Replicas share a PostgreSQL journal (see postgresql/V6__replicas.sql); an SQLite journal has one facilitator,
-- so its receipt chain stays the single global one (outcome_seq UNIQUE as in V1) and no lease is ever taken.
-- The same columns and table keep both schemas, and their version lists, aligned.
ALTER TABLE settlements ADD COLUMN replica TEXT;
CREATE TABLE IF NOT EXISTS signer_leases (
  signer TEXT PRIMARY KEY, home TEXT NOT NULL, holder TEXT NOT NULL, token INTEGER NOT NULL,
  expires_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
