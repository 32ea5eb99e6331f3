-- hecha schema 9: reconciliation (核查比对, issue 7): findings of the last run (derived), visit results
-- (kept across runs) and the annual report's births per village and statistical year. Frozen: never edit.
CREATE TABLE "annual_report" ("id" INTEGER NOT NULL PRIMARY KEY, "village_code" VARCHAR(255) NOT NULL, "year" INTEGER NOT NULL, "reported" INTEGER NOT NULL, "corrected" INTEGER NOT NULL);
CREATE UNIQUE INDEX "annual_report_village_code_year" ON "annual_report" ("village_code", "year");
CREATE TABLE "reconcile_finding" ("id" INTEGER NOT NULL PRIMARY KEY, "key" VARCHAR(255) NOT NULL, "kind" VARCHAR(255) NOT NULL, "village_code" VARCHAR(255) NOT NULL, "birth_date" VARCHAR(255) NOT NULL, "child_name" VARCHAR(255) NOT NULL, "sex" VARCHAR(255) NOT NULL, "mother_name" VARCHAR(255) NOT NULL, "mother_id_number" VARCHAR(255) NOT NULL, "groups" VARCHAR(255) NOT NULL, "evidence" TEXT NOT NULL, "differences" TEXT NOT NULL, "reason" TEXT NOT NULL, "birth_uid" VARCHAR(255) NOT NULL);
CREATE UNIQUE INDEX "reconcile_finding_key" ON "reconcile_finding" ("key");
CREATE INDEX "reconcile_finding_kind" ON "reconcile_finding" ("kind");
CREATE INDEX "reconcile_finding_village_code" ON "reconcile_finding" ("village_code");
CREATE TABLE "reconcile_run" ("id" INTEGER NOT NULL PRIMARY KEY, "at" VARCHAR(255) NOT NULL, "as_of" VARCHAR(255) NOT NULL, "records" INTEGER NOT NULL, "births" INTEGER NOT NULL, "seconds" REAL NOT NULL);
CREATE TABLE "visit_result" ("id" INTEGER NOT NULL PRIMARY KEY, "key" VARCHAR(255) NOT NULL, "conclusion" VARCHAR(1) NOT NULL, "note" TEXT NOT NULL, "village_code" VARCHAR(255) NOT NULL, "birth_date" VARCHAR(255) NOT NULL, "kind" VARCHAR(255) NOT NULL, "birth_uid" VARCHAR(255) NOT NULL, "corrections" TEXT NOT NULL, "who" VARCHAR(255) NOT NULL, "at" VARCHAR(255) NOT NULL);
CREATE UNIQUE INDEX "visit_result_key" ON "visit_result" ("key");
