-- hecha schema 23 (issue 18): a county's record of the bundles it refused after checking the sender's
-- signature (a broken chain after a backup copied back by hand shows in its progress, though the
-- refused bundle itself changed nothing), and merge conflicts decided through a decision the owning
-- township applies. Frozen: never edit; add a new migration.
CREATE TABLE "bundle_refusal" ("id" INTEGER NOT NULL PRIMARY KEY, "sender" VARCHAR(12) NOT NULL, "kind" VARCHAR(255) NOT NULL, "epoch" INTEGER NOT NULL, "sequence" INTEGER NOT NULL, "manifest_sha256" VARCHAR(64) NOT NULL, "code" VARCHAR(3) NOT NULL, "detail" TEXT NOT NULL, "file_name" VARCHAR(255) NOT NULL, "at" VARCHAR(255) NOT NULL, "operator" VARCHAR(255) NOT NULL, "after_log" INTEGER NOT NULL);
CREATE UNIQUE INDEX "bundle_refusal_manifest_code" ON "bundle_refusal" ("manifest_sha256", "code");
CREATE INDEX "bundle_refusal_sender" ON "bundle_refusal" ("sender");
ALTER TABLE "county_decision" ADD COLUMN "record_table" VARCHAR(16) NOT NULL DEFAULT '';
ALTER TABLE "county_decision" ADD COLUMN "choice" VARCHAR(8) NOT NULL DEFAULT '';
ALTER TABLE "county_decision" ADD COLUMN "conflict_id" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "merge_conflict" ADD COLUMN "decided_at" VARCHAR(255) NOT NULL DEFAULT '';
ALTER TABLE "merge_conflict" ADD COLUMN "decided_by" VARCHAR(255) NOT NULL DEFAULT '';
ALTER TABLE "merge_conflict" ADD COLUMN "decision_uid" VARCHAR(36) NOT NULL DEFAULT '';
ALTER TABLE "merge_conflict" ADD COLUMN "sender" VARCHAR(12) NOT NULL DEFAULT '';
