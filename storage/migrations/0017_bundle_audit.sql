-- hecha schema 17: bundles carry the township's audit rows (issue 14). A township's bundle carries
-- the audit rows written since its last bundle and the hash they continue from; the county checks
-- they chain on from the hash it took last time and that every record carried has its audit rows.
-- `audit_head`: the audit chain's newest hash the bundle covers (both directions); `audit_upto`:
-- for an export, the id of the last audit row it carried.
-- Frozen: never edit; add a new migration.
ALTER TABLE "bundle_log" ADD COLUMN "audit_head" VARCHAR(255) NOT NULL DEFAULT '';
ALTER TABLE "bundle_log" ADD COLUMN "audit_upto" INTEGER NOT NULL DEFAULT 0;
