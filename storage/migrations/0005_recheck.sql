-- hecha schema 5: quality recheck (质量复查, issue 4) and live-row indexes. Frozen: never edit; add a new migration.
CREATE TABLE "recheck" ("id" INTEGER NOT NULL PRIMARY KEY, "household_uid" VARCHAR(36) NOT NULL, "form_no" VARCHAR(255) NOT NULL, "household_code" VARCHAR(255) NOT NULL, "village_code" VARCHAR(255) NOT NULL, "first_operator" VARCHAR(255) NOT NULL, "plan" VARCHAR(255) NOT NULL, "chosen_at" VARCHAR(255) NOT NULL, "chosen_by" VARCHAR(255) NOT NULL, "status" VARCHAR(255) NOT NULL, "second_operator" VARCHAR(255) NOT NULL, "second_data" TEXT NOT NULL, "keyed_at" VARCHAR(255) NOT NULL, "fields_compared" INTEGER NOT NULL, "differences" INTEGER NOT NULL);
CREATE INDEX "recheck_household_uid" ON "recheck" ("household_uid");
CREATE INDEX "recheck_status" ON "recheck" ("status");
CREATE TABLE "recheck_diff" ("id" INTEGER NOT NULL PRIMARY KEY, "recheck_id" INTEGER NOT NULL, "section" VARCHAR(255) NOT NULL, "line" INTEGER NOT NULL, "sub" INTEGER NOT NULL, "field" VARCHAR(255) NOT NULL, "label" VARCHAR(255) NOT NULL, "first_value" TEXT NOT NULL, "second_value" TEXT NOT NULL, "decision" VARCHAR(255) NOT NULL, "decided_by" VARCHAR(255) NOT NULL, "decided_at" VARCHAR(255) NOT NULL, FOREIGN KEY ("recheck_id") REFERENCES "recheck" ("id") ON DELETE CASCADE);
CREATE INDEX "recheck_diff_recheck_id" ON "recheck_diff" ("recheck_id");
-- Live-row partial indexes, so the menu's counts read an index, not the tables.
CREATE INDEX "person_live" ON "person" ("household_id") WHERE deleted = 0;
CREATE INDEX "birth_live" ON "birth" ("household_id") WHERE deleted = 0;
