-- The settlement journal as SqliteSettlementStore created it before migrations were versioned. IF NOT EXISTS:
-- a journal written by that code (baselined at version 0) is adopted as it is.
CREATE TABLE IF NOT EXISTS settlements (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  network TEXT NOT NULL, asset TEXT NOT NULL, payer TEXT NOT NULL, auth_nonce TEXT NOT NULL,
  pay_to TEXT NOT NULL, amount TEXT NOT NULL, valid_before TEXT NOT NULL, request TEXT NOT NULL,
  state TEXT NOT NULL, account TEXT NOT NULL, account_nonce INTEGER, tx_hash TEXT,
  block_number INTEGER, error_reason TEXT, error_message TEXT, outcome_seq INTEGER UNIQUE,
  receipt TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, idem_key TEXT,
  UNIQUE (network, asset, payer, auth_nonce));
CREATE TABLE IF NOT EXISTS tx_attempts (
  tx_hash TEXT PRIMARY KEY,
  settlement_id INTEGER NOT NULL REFERENCES settlements(id) ON DELETE CASCADE,
  account_nonce INTEGER NOT NULL, raw_tx TEXT NOT NULL, max_fee TEXT NOT NULL, priority_fee TEXT,
  gas_limit TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS settlements_nonce ON settlements(auth_nonce);
CREATE INDEX IF NOT EXISTS settlements_state ON settlements(state);
CREATE INDEX IF NOT EXISTS attempts_settlement ON tx_attempts(settlement_id);
