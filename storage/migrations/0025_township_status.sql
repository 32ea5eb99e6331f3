-- hecha schema 25 (issue 18, item 2): what a township's last bundle said of its own state, for the
-- county's progress — its reconciliation findings still open and concluded (the county holds the
-- township's rows, not its reconciliation). Frozen: never edit; add a new migration.
CREATE TABLE "township_status" ("id" INTEGER NOT NULL PRIMARY KEY, "code" VARCHAR(9) NOT NULL, "findings_open" INTEGER NOT NULL, "findings_concluded" INTEGER NOT NULL, "reconciled_at" VARCHAR(255) NOT NULL, "at" VARCHAR(255) NOT NULL);
CREATE UNIQUE INDEX "township_status_code" ON "township_status" ("code");
