-- hecha schema 16: named operators with a PIN (issue 14). Where an office shares one Linux account,
-- each clerk signs in with a chosen name and a PIN; that name is recorded on every change. The PIN
-- is kept as an scrypt hash (storage.operators); failed tries lock the name for a while.
-- Frozen: never edit; add a new migration.
ALTER TABLE "operator" ADD COLUMN "pin_hash" VARCHAR(255) NOT NULL DEFAULT '';
ALTER TABLE "operator" ADD COLUMN "failed_pins" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "operator" ADD COLUMN "locked_until" VARCHAR(255) NOT NULL DEFAULT '';
