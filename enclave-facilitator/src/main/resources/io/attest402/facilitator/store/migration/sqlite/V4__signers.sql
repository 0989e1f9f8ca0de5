-- Several signers per enclave (--signers N): settlements.account already records which attested signer
-- claimed, signed and sent each settlement (every transaction of a settlement uses that signer's key and
-- nonces; receipts name it as "sender"). This index serves the per-signer lookups: nonce recovery per
-- signer at start, and replica ownership keyed by signer address.
CREATE INDEX IF NOT EXISTS settlements_account ON settlements(account, state);
