-- The settlement journal shared by facilitator replicas: the SQLite journal's schema in PostgreSQL types.
-- The UNIQUE key on the authorization is what keeps two replicas from both claiming one payment.
CREATE TABLE IF NOT EXISTS settlements (
  id BIGSERIAL PRIMARY KEY,
  network TEXT NOT NULL, asset TEXT NOT NULL, payer TEXT NOT NULL, auth_nonce TEXT NOT NULL,
  pay_to TEXT NOT NULL, amount TEXT NOT NULL, valid_before TEXT NOT NULL, request TEXT NOT NULL,
  state TEXT NOT NULL, account TEXT NOT NULL, account_nonce BIGINT, tx_hash TEXT,
  block_number BIGINT, error_reason TEXT, error_message TEXT, outcome_seq BIGINT UNIQUE,
  receipt TEXT, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, idem_key TEXT,
  UNIQUE (network, asset, payer, auth_nonce));
CREATE TABLE IF NOT EXISTS tx_attempts (
  tx_hash TEXT PRIMARY KEY,
  attempt_id BIGSERIAL NOT NULL,
  settlement_id BIGINT NOT NULL REFERENCES settlements(id) ON DELETE CASCADE,
  account_nonce BIGINT NOT NULL, raw_tx TEXT NOT NULL, max_fee TEXT NOT NULL, priority_fee TEXT,
  gas_limit TEXT NOT NULL, created_at BIGINT NOT NULL);
CREATE INDEX IF NOT EXISTS settlements_nonce ON settlements(auth_nonce);
CREATE INDEX IF NOT EXISTS settlements_state ON settlements(state);
CREATE INDEX IF NOT EXISTS attempts_settlement ON tx_attempts(settlement_id);
