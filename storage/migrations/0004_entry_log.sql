-- hecha schema 4: per-clerk keying figures (issue 4). Frozen: never edit; add a new migration.
CREATE TABLE "entry_log" ("id" INTEGER NOT NULL PRIMARY KEY, "operator" VARCHAR(255) NOT NULL, "household_uid" VARCHAR(36) NOT NULL, "started_at" VARCHAR(255) NOT NULL, "saved_at" VARCHAR(255) NOT NULL, "seconds" INTEGER NOT NULL, "persons" INTEGER NOT NULL, "new_form" INTEGER NOT NULL);
CREATE INDEX "entry_log_operator" ON "entry_log" ("operator");
CREATE INDEX "entry_log_saved_at" ON "entry_log" ("saved_at");
