-- hecha schema 24 (issue 18, item 1): keys replaced, rotated and revoked. An office's own keys are
-- rotated with a grace period (the retired encryption key still opens bundles sent to it until
-- valid_until); another office's keys, when replaced, are kept in peer_key with the day until which
-- bundles signed by them are still taken; a township's registration can be revoked.
-- Frozen: never edit; add a new migration.
ALTER TABLE "own_key" ADD COLUMN "retired_at" VARCHAR(255) NOT NULL DEFAULT '';
ALTER TABLE "own_key" ADD COLUMN "valid_until" VARCHAR(255) NOT NULL DEFAULT '';
ALTER TABLE "peer_office" ADD COLUMN "revoked_at" VARCHAR(255) NOT NULL DEFAULT '';
ALTER TABLE "peer_office" ADD COLUMN "revoked_by" VARCHAR(255) NOT NULL DEFAULT '';
CREATE TABLE "peer_key" ("id" INTEGER NOT NULL PRIMARY KEY, "code" VARCHAR(12) NOT NULL, "sign_public" TEXT NOT NULL, "encrypt_public" TEXT NOT NULL, "recovery_public" TEXT NOT NULL, "fingerprint" VARCHAR(255) NOT NULL, "registered_at" VARCHAR(255) NOT NULL, "replaced_at" VARCHAR(255) NOT NULL, "replaced_by" VARCHAR(255) NOT NULL, "valid_until" VARCHAR(255) NOT NULL);
CREATE INDEX "peer_key_code" ON "peer_key" ("code");
