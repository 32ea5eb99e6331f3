-- hecha schema 22: the county's decision of which township reports a person registered in two (填报单位,
-- issue 18): the decision sent down and acknowledged, and the mark on the other township's record.
-- Frozen: never edit; add a new migration.
CREATE TABLE "report_unit" ("id" INTEGER NOT NULL PRIMARY KEY, "person_uid" VARCHAR(36) NOT NULL, "unit" VARCHAR(9) NOT NULL, "decision_uid" VARCHAR(36) NOT NULL, "at" VARCHAR(255) NOT NULL);
CREATE UNIQUE INDEX "report_unit_person_uid" ON "report_unit" ("person_uid");
CREATE TABLE "county_decision" ("id" INTEGER NOT NULL PRIMARY KEY, "uid" VARCHAR(36) NOT NULL, "kind" VARCHAR(16) NOT NULL, "person_uid" VARCHAR(36) NOT NULL, "unit" VARCHAR(9) NOT NULL, "to_office" VARCHAR(9) NOT NULL, "note" TEXT NOT NULL, "decided_at" VARCHAR(255) NOT NULL, "decided_by" VARCHAR(255) NOT NULL, "acked_at" VARCHAR(255) NOT NULL);
CREATE UNIQUE INDEX "county_decision_uid" ON "county_decision" ("uid");
CREATE INDEX "county_decision_to_office" ON "county_decision" ("to_office");
