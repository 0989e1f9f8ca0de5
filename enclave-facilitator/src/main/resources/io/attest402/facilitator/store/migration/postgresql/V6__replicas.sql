-- Replicas: N facilitator processes (each its own enclave, identity key and signers) share this database.
-- A replica is named by its identity key's address (signer 1).
--
-- Receipt chains are per replica: the replica whose identity key signed an outcome's receipt keeps it in its
-- own chain (settlements.replica, outcome_seq counted per replica), which its own SettlementLog anchors cover.
-- Rows journaled before V6 have replica NULL; a replica adopts those its own signers sent when it starts.
ALTER TABLE settlements ADD COLUMN IF NOT EXISTS replica TEXT;
ALTER TABLE settlements DROP CONSTRAINT IF EXISTS settlements_outcome_seq_key;
CREATE UNIQUE INDEX IF NOT EXISTS settlements_replica_seq ON settlements (replica, outcome_seq);
-- One lease per signer address. home: the replica whose enclave holds the signer's key (only it ever signs for
-- the signer); holder: the replica reconciling the signer's settlements now (its home, or a live replica that
-- took over an expired lease); token: the fencing token, incremented on every acquisition, which every journal
-- write for the signer's settlements checks, so a stale holder that comes back cannot clobber its successor.
CREATE TABLE IF NOT EXISTS signer_leases (
  signer TEXT PRIMARY KEY, home TEXT NOT NULL, holder TEXT NOT NULL, token BIGINT NOT NULL,
  expires_at BIGINT NOT NULL, updated_at BIGINT NOT NULL);
