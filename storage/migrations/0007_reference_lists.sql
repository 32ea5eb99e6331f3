-- hecha schema 7: reference lists (外部名单, issue 6). Frozen: never edit; add a new migration.
CREATE TABLE "header_mapping" ("id" INTEGER NOT NULL PRIMARY KEY, "source" VARCHAR(255) NOT NULL, "headers" TEXT NOT NULL, "mapping" TEXT NOT NULL, "saved_at" VARCHAR(255) NOT NULL);
CREATE UNIQUE INDEX "header_mapping_source_headers" ON "header_mapping" ("source", "headers");
CREATE TABLE "import_batch" ("id" INTEGER NOT NULL PRIMARY KEY, "source" VARCHAR(255) NOT NULL, "file_name" VARCHAR(255) NOT NULL, "sha256" VARCHAR(64) NOT NULL, "sheets" VARCHAR(255) NOT NULL, "imported_at" VARCHAR(255) NOT NULL, "operator" VARCHAR(255) NOT NULL, "rows_read" INTEGER NOT NULL, "rows_loaded" INTEGER NOT NULL, "rows_rejected" INTEGER NOT NULL, "rows_duplicate" INTEGER NOT NULL, "mapping" TEXT NOT NULL, "status" VARCHAR(255) NOT NULL);
CREATE INDEX "import_batch_source" ON "import_batch" ("source");
CREATE INDEX "import_batch_sha256" ON "import_batch" ("sha256");
CREATE TABLE "ref_record" ("id" INTEGER NOT NULL PRIMARY KEY, "batch_id" INTEGER NOT NULL, "source" VARCHAR(255) NOT NULL, "sheet" VARCHAR(255) NOT NULL, "row_no" INTEGER NOT NULL, "raw" TEXT NOT NULL, "name" VARCHAR(255) NOT NULL, "sex" VARCHAR(255) NOT NULL, "birth_date" VARCHAR(255) NOT NULL, "birth_date_prec" VARCHAR(255) NOT NULL, "id_number" VARCHAR(255) NOT NULL, "id_number_18" VARCHAR(255) NOT NULL, "id_check" VARCHAR(255) NOT NULL, "mother_name" VARCHAR(255) NOT NULL, "mother_id_number" VARCHAR(255) NOT NULL, "father_name" VARCHAR(255) NOT NULL, "father_id_number" VARCHAR(255) NOT NULL, "address" VARCHAR(255) NOT NULL, "birth_cert_no" VARCHAR(255) NOT NULL, "extra" TEXT NOT NULL, FOREIGN KEY ("batch_id") REFERENCES "import_batch" ("id") ON DELETE CASCADE);
CREATE INDEX "ref_record_batch_id" ON "ref_record" ("batch_id");
CREATE INDEX "ref_record_birth_date" ON "ref_record" ("birth_date");
CREATE INDEX "ref_record_id_number" ON "ref_record" ("id_number");
CREATE INDEX "ref_record_id_number_18" ON "ref_record" ("id_number_18");
CREATE INDEX "ref_record_mother_id_number" ON "ref_record" ("mother_id_number");
CREATE TABLE "ref_key" ("id" INTEGER NOT NULL PRIMARY KEY, "record_id" INTEGER NOT NULL, "kind" VARCHAR(1) NOT NULL, "key" VARCHAR(255) NOT NULL, FOREIGN KEY ("record_id") REFERENCES "ref_record" ("id") ON DELETE CASCADE);
CREATE INDEX "ref_key_record_id" ON "ref_key" ("record_id");
CREATE INDEX "ref_key_key" ON "ref_key" ("key");
CREATE TABLE "row_error" ("id" INTEGER NOT NULL PRIMARY KEY, "batch_id" INTEGER NOT NULL, "sheet" VARCHAR(255) NOT NULL, "row_no" INTEGER NOT NULL, "column" VARCHAR(255) NOT NULL, "value" TEXT NOT NULL, "message" TEXT NOT NULL, "raw" TEXT NOT NULL, FOREIGN KEY ("batch_id") REFERENCES "import_batch" ("id") ON DELETE CASCADE);
CREATE INDEX "row_error_batch_id" ON "row_error" ("batch_id");
