-- hecha schema 6: name keys and match decisions for duplicate search (issue 5). Frozen: never edit; add a new migration.
-- person_key is filled for existing persons by the Python step that follows this file (storage/db.py).
CREATE TABLE "match_decision" ("id" INTEGER NOT NULL PRIMARY KEY, "a_uid" VARCHAR(36) NOT NULL, "b_uid" VARCHAR(36) NOT NULL, "decision" VARCHAR(255) NOT NULL, "rule" VARCHAR(255) NOT NULL, "score" INTEGER NOT NULL, "who" VARCHAR(255) NOT NULL, "at" VARCHAR(255) NOT NULL, "note" TEXT NOT NULL);
CREATE UNIQUE INDEX "match_decision_a_uid_b_uid" ON "match_decision" ("a_uid", "b_uid");
CREATE INDEX "match_decision_b_uid" ON "match_decision" ("b_uid");
CREATE INDEX "person_id_number" ON "person" ("id_number");
CREATE TABLE "person_key" ("id" INTEGER NOT NULL PRIMARY KEY, "person_id" INTEGER NOT NULL, "kind" VARCHAR(1) NOT NULL, "key" VARCHAR(255) NOT NULL, FOREIGN KEY ("person_id") REFERENCES "person" ("id") ON DELETE CASCADE);
CREATE INDEX "person_key_person_id" ON "person_key" ("person_id");
CREATE INDEX "person_key_key" ON "person_key" ("key");
