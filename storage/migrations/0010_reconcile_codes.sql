-- hecha schema 10: a finding's short code (what work lists and clerks use: no ID number in it) and
-- the records a visit result was given on (to find its birth again when the birth's key changes).
-- Frozen: never edit; add a new migration.
ALTER TABLE "reconcile_finding" ADD COLUMN "code" VARCHAR(255) NOT NULL DEFAULT '';
CREATE INDEX "reconcile_finding_code" ON "reconcile_finding" ("code");
ALTER TABLE "visit_result" ADD COLUMN "records" TEXT NOT NULL DEFAULT '[]';
