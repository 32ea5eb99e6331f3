-- hecha schema 26 (issue 18): a township's reconciliation summary per village and statistical year as
-- its last bundle said it (township_summary), for the county's summary where the county has not
-- reconciled itself; and the county decisions a township has applied (applied_decision), so that a
-- decision carried twice is applied once. Frozen: never edit; add a new migration.
CREATE TABLE "township_summary" ("id" INTEGER NOT NULL PRIMARY KEY, "village_code" VARCHAR(12) NOT NULL, "year" INTEGER NOT NULL, "linked" INTEGER NOT NULL, "omissions" INTEGER NOT NULL, "hidden" INTEGER NOT NULL, "false" INTEGER NOT NULL, "misreports" INTEGER NOT NULL, "pending" INTEGER NOT NULL);
CREATE UNIQUE INDEX "township_summary_village_code_year" ON "township_summary" ("village_code", "year");
CREATE TABLE "applied_decision" ("id" INTEGER NOT NULL PRIMARY KEY, "uid" VARCHAR(36) NOT NULL, "at" VARCHAR(255) NOT NULL, "outcome" VARCHAR(16) NOT NULL);
CREATE UNIQUE INDEX "applied_decision_uid" ON "applied_decision" ("uid");
