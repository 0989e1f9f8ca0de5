-- payment-identifier bindings (hashes of the id and of its first request) and payer-settled credentials (one per
-- transfer). IF NOT EXISTS: journals written before this version created these tables on open.
CREATE TABLE IF NOT EXISTS payment_ids (
  id_hash TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS credentials (
  network TEXT NOT NULL, tx_hash TEXT NOT NULL, payer TEXT NOT NULL, pay_to TEXT NOT NULL,
  asset TEXT NOT NULL, amount TEXT NOT NULL, resource TEXT NOT NULL, token TEXT NOT NULL,
  issued_at INTEGER NOT NULL, PRIMARY KEY (network, tx_hash));
