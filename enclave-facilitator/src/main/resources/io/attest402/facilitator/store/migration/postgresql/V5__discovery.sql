-- The bazaar discovery catalog: resources declared with the bazaar extension that this facilitator settled a payment
-- for, one row per (resource URL, payTo) so a payer naming someone else's URL cannot overwrite that provider's entry;
-- entry is the DiscoveryResource served at GET /discovery/resources (bounded in size by the facilitator).
CREATE TABLE IF NOT EXISTS discovery_resources (
  resource TEXT NOT NULL, pay_to TEXT NOT NULL, network TEXT NOT NULL, scheme TEXT NOT NULL,
  extension_keys TEXT NOT NULL, entry TEXT NOT NULL, updated_at BIGINT NOT NULL,
  PRIMARY KEY (resource, pay_to));
CREATE INDEX IF NOT EXISTS discovery_resources_updated ON discovery_resources (updated_at);
CREATE INDEX IF NOT EXISTS discovery_resources_pay_to ON discovery_resources (pay_to);
