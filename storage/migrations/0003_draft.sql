-- hecha schema 3: drafts of unfinished forms (issue 4). Frozen: never edit; add a new migration.
CREATE TABLE "draft" ("id" INTEGER NOT NULL PRIMARY KEY, "operator" VARCHAR(255) NOT NULL, "kind" VARCHAR(255) NOT NULL, "data" TEXT NOT NULL, "updated_at" VARCHAR(255) NOT NULL);
CREATE UNIQUE INDEX "draft_operator_kind" ON "draft" ("operator", "kind");
