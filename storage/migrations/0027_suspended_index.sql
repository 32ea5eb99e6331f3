-- hecha schema 27 (issue 18, item 7): the search indexes set aside while a batch of bundles larger
-- than the database is merged (storage/bulk.py), each with the SQL that builds it again, so that an
-- import stopped halfway (a crash, a lost connection) gets them back at the next start. Frozen:
-- never edit; add a new migration.
CREATE TABLE "suspended_index" ("id" INTEGER NOT NULL PRIMARY KEY, "name" VARCHAR(64) NOT NULL, "sql" TEXT NOT NULL, "at" VARCHAR(255) NOT NULL);
CREATE UNIQUE INDEX "suspended_index_name" ON "suspended_index" ("name");
