"""The office database's tables (peewee), DESIGN.md §4 and DATA.md.

Models are bound to a database by :func:`storage.db.open_db`. Every *shared* table (one whose rows
travel in bundles) derives from :class:`SharedModel` and carries ``uid``, ``origin``, ``version``,
``updated_at``, ``updated_by`` and the tombstone ``deleted``. Rows are written through
:mod:`storage.audit`, which stamps those columns and writes the audit rows; never call
``save()`` on a shared row directly.

Dates are ISO strings (``YYYY-MM-DD``) with a precision column (``D``, ``M``, ``Y``; a missing day or
month is stored as 01). Timestamps are ISO 8601 UTC strings ending in ``Z``.
"""

from __future__ import annotations

import uuid

import peewee as pw

database = pw.SqliteDatabase(None)


def new_uid() -> str:
    """A random UUID (RFC 4122 v4) as 36 characters."""
    return str(uuid.uuid4())


class BaseModel(pw.Model):
    class Meta:
        database = database
        legacy_table_names = False


class Office(BaseModel):
    """This database's office: one row. ``level`` is ``township`` (9-digit code) or ``county`` (6).

    ``version_counter`` is the per-office counter that every change raises (DESIGN.md §4).
    """

    code = pw.CharField(max_length=12, unique=True)
    name = pw.CharField()
    level = pw.CharField(max_length=10)
    county_code = pw.CharField(max_length=6)
    full_name = pw.CharField(default="")
    is_demo = pw.BooleanField(default=False)
    version_counter = pw.IntegerField(default=0)
    created_at = pw.CharField()
    audit_head = pw.CharField(default="")  # the newest audit row's hash (storage.audit.chain)
    epoch = pw.IntegerField(default=1)  # raised by each restore: bundles are numbered per epoch
    reference_date = pw.CharField(default="")  # 标准时点, ISO date: ages are judged at it ("" = the day of the check)


class Operator(BaseModel):
    """A person who keys or decides; ``login`` is the system login name, or the name a clerk chose
    where an office shares one Linux account (then ``pin_hash`` is set: storage.operators)."""

    login = pw.CharField(unique=True)
    name = pw.CharField(default="")
    created_at = pw.CharField()
    pin_hash = pw.CharField(default="")  # "scrypt$<logN>$<salt hex>$<hash hex>", or "" for a login name
    failed_pins = pw.IntegerField(default=0)  # wrong PINs in a row
    locked_until = pw.CharField(default="")  # UTC ISO time before which the name cannot sign in


class AdminDivision(BaseModel):
    """A division of the NBS 统计用区划代码 (GB/T 2260 to county level), the office's part of it.

    ``level``: 1 province, 2 city, 3 county, 4 township, 5 village; ``parent`` the code above.
    """

    code = pw.CharField(max_length=12, primary_key=True)
    name = pw.CharField()
    level = pw.IntegerField()
    parent = pw.CharField(max_length=12, null=True, index=True)
    source = pw.CharField(default="NBS 2023")


class SharedModel(BaseModel):
    """Columns every shared table carries (DESIGN.md §4)."""

    uid = pw.CharField(max_length=36, unique=True, default=new_uid)
    origin = pw.CharField(max_length=12)
    version = pw.IntegerField()
    updated_at = pw.CharField()
    updated_by = pw.CharField()
    deleted = pw.BooleanField(default=False)
    confirmed = pw.TextField(default="")  # warning rule ids confirmed for this row, space separated


class Household(SharedModel):
    """户. ``household_code`` = 12-digit village code + 2-digit group + 4-digit serial (DESIGN.md §2)."""

    household_code = pw.CharField(max_length=18)
    village_code = pw.CharField(max_length=12, index=True)
    group_no = pw.CharField(max_length=2)
    serial = pw.IntegerField()
    address_detail = pw.CharField(default="")
    form_no = pw.CharField(default="")
    entry_status = pw.CharField(default="entered")
    household_kind = pw.CharField(max_length=1, default="1")
    hukou_type = pw.CharField(max_length=1, default="")
    police_hukou_no = pw.CharField(default="")
    phone = pw.CharField(default="")
    surveyor = pw.CharField(default="")
    survey_date = pw.CharField(default="")
    survey_date_prec = pw.CharField(max_length=1, default="D")
    respondent = pw.CharField(default="")

    class Meta:
        indexes = ()


Household.add_index(
    pw.SQL("CREATE UNIQUE INDEX IF NOT EXISTS household_code_live ON household (household_code) WHERE deleted = 0")
)


class Person(SharedModel):
    """人. ``id_number`` as written (upper case); ``id_number_18`` its 18-character form for matching."""

    household = pw.ForeignKeyField(Household, backref="members", on_delete="RESTRICT")
    seq = pw.IntegerField()
    name = pw.CharField()
    name_norm = pw.CharField(index=True)
    id_number = pw.CharField(default="", index=True)
    id_number_18 = pw.CharField(default="", index=True)
    id_check = pw.CharField(default="missing")
    sex = pw.CharField(max_length=1, default="")
    birth_date = pw.CharField(default="", index=True)
    birth_date_prec = pw.CharField(max_length=1, default="D")
    relation_to_head = pw.CharField(max_length=2, default="")
    ethnicity = pw.CharField(max_length=2, default="")
    residence_status = pw.CharField(max_length=1, default="1")
    hukou_place_text = pw.CharField(default="")
    former_names = pw.CharField(default="")
    id_type = pw.CharField(max_length=2, default="01")
    education = pw.CharField(max_length=2, default="")
    marital_status = pw.CharField(max_length=2, default="")
    first_marriage_date = pw.CharField(default="")
    first_marriage_date_prec = pw.CharField(max_length=1, default="D")
    marital_change_date = pw.CharField(default="")
    marital_change_date_prec = pw.CharField(max_length=1, default="D")
    hukou_type = pw.CharField(max_length=1, default="")
    hukou_place_code = pw.CharField(max_length=12, default="")
    residence_code = pw.CharField(max_length=12, default="")
    residence_text = pw.CharField(default="")
    spouse_name = pw.CharField(default="")
    spouse_id_number = pw.CharField(default="")
    work_unit = pw.CharField(default="")
    is_staff = pw.BooleanField(default=False)
    phone = pw.CharField(default="")
    only_child_cert_no = pw.CharField(default="")
    only_child_cert_date = pw.CharField(default="")
    only_child_cert_date_prec = pw.CharField(max_length=1, default="D")
    vital_status = pw.CharField(max_length=1, default="1")
    vital_date = pw.CharField(default="")
    vital_date_prec = pw.CharField(max_length=1, default="D")
    exit_reason = pw.CharField(max_length=1, default="")
    wis_person_code = pw.CharField(default="")
    gpl_person_code = pw.CharField(default="")


Person.add_index(pw.SQL("CREATE INDEX IF NOT EXISTS person_live ON person (household_id) WHERE deleted = 0"))


class Birth(SharedModel):
    """出生: one row per child born; twins are two rows with the same date."""

    household = pw.ForeignKeyField(Household, backref="births", on_delete="RESTRICT")
    mother = pw.ForeignKeyField(Person, backref="births_as_mother", on_delete="RESTRICT")
    father = pw.ForeignKeyField(Person, null=True, backref="births_as_father", on_delete="RESTRICT")
    child = pw.ForeignKeyField(Person, null=True, backref="birth_record", on_delete="RESTRICT")
    child_name = pw.CharField(default="")
    child_sex = pw.CharField(max_length=1, default="")
    birth_date = pw.CharField(index=True)
    birth_date_prec = pw.CharField(max_length=1, default="D")
    birth_order = pw.IntegerField(null=True)
    birth_cert_no = pw.CharField(default="")
    father_name = pw.CharField(default="")
    father_id_number = pw.CharField(default="")
    birth_time = pw.CharField(default="")
    birth_place_kind = pw.CharField(max_length=1, default="")
    delivery_org = pw.CharField(default="")
    outcome = pw.CharField(max_length=1, default="1")
    plurality = pw.IntegerField(default=1)
    plurality_index = pw.IntegerField(default=1)
    birth_order_couple = pw.IntegerField(null=True)
    policy_attribute = pw.CharField(max_length=1, default="")
    policy_basis = pw.CharField(default="")
    adopted = pw.BooleanField(default=False)
    health_status = pw.CharField(max_length=1, default="")
    hukou_registered = pw.CharField(max_length=1, default="")
    hukou_date = pw.CharField(default="")
    hukou_date_prec = pw.CharField(max_length=1, default="D")
    vaccination_card_no = pw.CharField(default="")
    school_name = pw.CharField(default="")
    child_status = pw.CharField(max_length=1, default="1")
    wis_reported = pw.CharField(max_length=1, default="")
    wis_report_period = pw.CharField(default="")
    finding = pw.CharField(max_length=1, default="")
    finding_note = pw.TextField(default="")
    evidence = pw.TextField(default="")
    finding_by = pw.CharField(default="")


Birth.add_index(pw.SQL("CREATE INDEX IF NOT EXISTS birth_live ON birth (household_id) WHERE deleted = 0"))


class WomanFP(SharedModel):
    """育龄妇女: family-planning details of one woman aged 15–49 (DATA.md WomanFP)."""

    person = pw.ForeignKeyField(Person, backref="fp", on_delete="RESTRICT")
    contraception = pw.CharField(max_length=2, default="")
    contraception_start = pw.CharField(default="")
    contraception_start_prec = pw.CharField(max_length=1, default="D")
    contraception_org_type = pw.CharField(max_length=1, default="")
    contraception_end = pw.CharField(default="")
    contraception_end_prec = pw.CharField(max_length=1, default="D")
    no_contraception_reason = pw.CharField(max_length=1, default="")
    pregnancy_status = pw.CharField(max_length=1, default="")
    pregnancy_date = pw.CharField(default="")
    pregnancy_date_prec = pw.CharField(max_length=1, default="D")
    boys = pw.IntegerField(null=True)
    girls = pw.IntegerField(null=True)
    birth_permit_no = pw.CharField(default="")


class Migration(SharedModel):
    """流动: one inflow or outflow episode of a person (DATA.md Migration)."""

    person = pw.ForeignKeyField(Person, backref="migrations", on_delete="RESTRICT")
    direction = pw.CharField(max_length=1)
    hukou_place_code = pw.CharField(max_length=12, default="")
    from_code = pw.CharField(max_length=12, default="")
    to_code = pw.CharField(max_length=12, default="")
    current_address = pw.CharField(default="")
    move_date = pw.CharField(default="")
    move_date_prec = pw.CharField(max_length=1, default="D")
    return_date = pw.CharField(default="")
    return_date_prec = pw.CharField(max_length=1, default="D")
    reason = pw.CharField(max_length=3, default="")
    category = pw.CharField(max_length=1, default="")
    work_unit = pw.CharField(default="")
    housing = pw.CharField(max_length=1, default="")
    mb_cert_no = pw.CharField(default="")
    mb_cert_date = pw.CharField(default="")
    mb_cert_date_prec = pw.CharField(max_length=1, default="D")
    mb_cert_issuer = pw.CharField(default="")
    cert_status = pw.CharField(max_length=1, default="")
    contraception = pw.CharField(max_length=2, default="")
    pregnancy_status = pw.CharField(max_length=1, default="")
    children_count = pw.IntegerField(null=True)
    youngest_child_birth_date = pw.CharField(default="")
    youngest_child_birth_date_prec = pw.CharField(max_length=1, default="D")
    gpl_record_id = pw.CharField(default="")
    closed_date = pw.CharField(default="")
    closed_date_prec = pw.CharField(max_length=1, default="D")
    close_reason = pw.CharField(default="")


class AuditLog(BaseModel):
    """Every change: who, when, table, row uid, field, old and new value, reason (DESIGN.md §4)."""

    at = pw.CharField(index=True)
    operator = pw.CharField()
    table = pw.CharField()
    uid = pw.CharField(max_length=36, index=True)
    field = pw.CharField()
    old = pw.TextField(null=True)
    new = pw.TextField(null=True)
    reason = pw.TextField(default="")
    hash = pw.CharField(default="")  # sha256 over the row before's hash and this row (storage.audit.chain)


class OwnKey(BaseModel):
    """This office's keys. ``kind``: ``sign`` (Ed25519), ``encrypt`` (X25519), ``recovery`` (X25519,
    county only; its private part is kept offline, so ``private_age`` is NULL).

    ``private_age`` is the private key wrapped in a passphrase-protected age file (scrypt).
    """

    kind = pw.CharField(max_length=10)
    public = pw.TextField()
    fingerprint = pw.CharField()
    private_age = pw.BlobField(null=True)
    created_at = pw.CharField()
    active = pw.BooleanField(default=True)
    retired_at = pw.CharField(default="")  # rotated out (schema 24); the key is then inactive
    valid_until = pw.CharField(default="")  # a retired encryption key opens bundles until this day


class PeerOffice(BaseModel):
    """Another office whose public keys are registered here (a county's townships; a township's county)."""

    code = pw.CharField(max_length=12, unique=True)
    name = pw.CharField(default="")
    level = pw.CharField(max_length=10)
    sign_public = pw.TextField()
    encrypt_public = pw.TextField()
    recovery_public = pw.TextField(default="")
    fingerprint = pw.CharField()
    registered_at = pw.CharField()
    registered_by = pw.CharField()
    revoked_at = pw.CharField(default="")  # revoked (schema 24): its bundles are refused, none go to it
    revoked_by = pw.CharField(default="")


class PeerKey(BaseModel):
    """Keys another office used before they were replaced (``hecha keys replace``, schema 24): a
    bundle signed by one is still taken until ``valid_until`` (a bundle written before the other office
    rotated its keys and still on its way)."""

    code = pw.CharField(max_length=12, index=True)
    sign_public = pw.TextField()
    encrypt_public = pw.TextField()
    recovery_public = pw.TextField(default="")
    fingerprint = pw.CharField()
    registered_at = pw.CharField()
    replaced_at = pw.CharField()
    replaced_by = pw.CharField()
    valid_until = pw.CharField()


class BundleLog(BaseModel):
    """Bundles written (``direction='out'``) and read (``'in'``).

    ``status``: ``exported``, ``imported`` or ``held`` (a bundle that arrived ahead of its sequence,
    kept in ``data`` until the gap fills; one of an epoch older than the office's newest imported
    will never apply, and the county's progress no longer counts it). ``max_version`` is, for an
    export, the office's version counter that the bundle covers up to. ``audit_head`` is the
    township's audit-chain hash the bundle covers up to, ``audit_upto`` (exports) the id of the last
    audit row it carried (issue 14).
    """

    direction = pw.CharField(max_length=3)
    status = pw.CharField(max_length=10)
    bundle_id = pw.CharField(max_length=36, index=True)
    kind = pw.CharField()
    sender = pw.CharField(max_length=12)
    recipient = pw.CharField(max_length=12)
    epoch = pw.IntegerField()
    sequence = pw.IntegerField()
    manifest_sha256 = pw.CharField(max_length=64)
    manifest = pw.TextField()
    payload_sha256 = pw.CharField(max_length=64)
    max_version = pw.IntegerField(default=0)
    counts = pw.TextField(default="{}")
    file_name = pw.CharField(default="")
    data = pw.BlobField(null=True)
    at = pw.CharField()
    operator = pw.CharField()
    audit_head = pw.CharField(default="")
    audit_upto = pw.IntegerField(default=0)


BundleLog.add_index(
    pw.SQL(
        "CREATE UNIQUE INDEX IF NOT EXISTS bundle_stream_seq ON bundle_log "
        "(direction, sender, recipient, epoch, sequence) WHERE status != 'held'"
    )
)


class MergeConflict(BaseModel):
    """A row from a bundle that could not be applied (wrong origin, lower version): kept for a person
    to decide, never dropped (DESIGN.md §9)."""

    bundle_id = pw.CharField(max_length=36)
    table = pw.CharField()
    uid = pw.CharField(max_length=36, index=True)
    reason = pw.CharField()
    row_json = pw.TextField()
    at = pw.CharField()
    status = pw.CharField(default="open")  # open, kept (the held row stays), taken (the bundle's row won)
    decided_at = pw.CharField(default="")
    decided_by = pw.CharField(default="")
    decision_uid = pw.CharField(max_length=36, default="")
    sender = pw.CharField(max_length=12, default="")  # the office whose bundle carried the row (schema 23)


class BundleRefusal(BaseModel):
    """A bundle refused after its sender's signature was checked (B07 onwards): what the county's
    progress shows as a broken chain or a bad bundle. The refused bundle itself changed nothing; this
    row is written after, in a transaction of its own (issue 18). Unique per manifest and code."""

    sender = pw.CharField(max_length=12, index=True)
    kind = pw.CharField()
    epoch = pw.IntegerField()
    sequence = pw.IntegerField()
    manifest_sha256 = pw.CharField(max_length=64)
    code = pw.CharField(max_length=3)
    detail = pw.TextField(default="")
    file_name = pw.CharField(default="")
    at = pw.CharField()
    operator = pw.CharField(default="")
    after_log = pw.IntegerField(default=0)  # the newest bundle_log id then: a later import clears it

    class Meta:
        indexes = ((("manifest_sha256", "code"), True),)


class Draft(BaseModel):
    """An unfinished form of one operator (local, never in a bundle): written as each field is left,
    so a dropped SSH connection loses at most the field being typed (DESIGN.md §10)."""

    operator = pw.CharField()
    kind = pw.CharField()
    data = pw.TextField()
    updated_at = pw.CharField()

    class Meta:
        indexes = ((("operator", "kind"), True),)


class EntryLog(BaseModel):
    """One household form keyed in the TUI (local): who, when it was started and saved, how many
    seconds it took, how many persons it held, and whether it was a new form or an edit."""

    operator = pw.CharField(index=True)
    household_uid = pw.CharField(max_length=36)
    started_at = pw.CharField()
    saved_at = pw.CharField(index=True)
    seconds = pw.IntegerField()
    persons = pw.IntegerField()
    new_form = pw.BooleanField()


class Recheck(BaseModel):
    """One form chosen for the quality recheck (质量复查, DESIGN.md glossary), local to the office.

    ``plan`` says how it was chosen (``every:10`` = every 10th form in keying order; ``sample:3:seed``
    = 3 random forms per village with that seed). ``first_operator`` keyed the form first (from
    :class:`EntryLog`, else the audit trail). ``status``: ``pending`` (waiting for the blind second
    keying), ``keyed`` (differences listed, some undecided), ``decided`` (every difference decided).
    ``second_data`` is the second keying as JSON (the form's fields, as in :mod:`storage.drafts`).
    ``fields_compared`` counts the fields with a value in either keying.
    """

    household_uid = pw.CharField(max_length=36, index=True)
    form_no = pw.CharField(default="")
    household_code = pw.CharField(default="")
    village_code = pw.CharField(default="")
    first_operator = pw.CharField(default="")
    plan = pw.CharField()
    chosen_at = pw.CharField()
    chosen_by = pw.CharField()
    status = pw.CharField(default="pending", index=True)
    second_operator = pw.CharField(default="")
    second_data = pw.TextField(default="")
    keyed_at = pw.CharField(default="")
    fields_compared = pw.IntegerField(default=0)
    differences = pw.IntegerField(default=0)


class RecheckDiff(BaseModel):
    """One field on which the two keyings of a rechecked form differ.

    ``section``/``line``/``sub``/``field`` address the field in the form (``line`` is the 1-based
    member or birth line, ``sub`` the 1-based migration episode); values are as typed. ``decision``:
    ``""`` (open), ``first`` (原录入正确: the second keyer erred), ``second`` (复查正确: the first
    keyer erred; the record is corrected), ``neither`` (两次都错: both erred; corrected by hand).
    """

    recheck = pw.ForeignKeyField(Recheck, backref="diffs", on_delete="CASCADE")
    section = pw.CharField()
    line = pw.IntegerField(default=0)
    sub = pw.IntegerField(default=0)
    field = pw.CharField()
    label = pw.CharField()
    first_value = pw.TextField(default="")
    second_value = pw.TextField(default="")
    decision = pw.CharField(default="")
    decided_by = pw.CharField(default="")
    decided_at = pw.CharField(default="")


class PersonKey(BaseModel):
    """Name keys of a live person for duplicate search (local, derived: never in a bundle; rebuilt
    by :func:`storage.namekeys.index_persons` whenever a person is saved or merged). ``kind``: ``h``
    (surname reading + given-name pinyin, :attr:`storage.names.NameKeys.homophone_keys`), ``f`` (the
    same with dictated-name confusions merged), ``n`` (the simplified name)."""

    person = pw.ForeignKeyField(Person, backref="keys", on_delete="CASCADE", index=True)
    kind = pw.CharField(max_length=1)
    key = pw.CharField(index=True)


class MatchDecision(BaseModel):
    """A clerk's decision on a pair of records that duplicate search raised (DATA.md MatchDecision):
    ``a_uid`` < ``b_uid`` (person uids), ``decision`` ``same`` / ``different`` / ``unsure``, the rule
    and score that raised it, who and when, a note. A pair decided ``different`` is never raised again."""

    a_uid = pw.CharField(max_length=36)
    b_uid = pw.CharField(max_length=36)
    decision = pw.CharField()
    rule = pw.CharField(default="")
    score = pw.IntegerField(default=0)
    who = pw.CharField()
    at = pw.CharField()
    note = pw.TextField(default="")

    class Meta:
        indexes = ((("a_uid", "b_uid"), True), (("b_uid",), False))


class DupPair(BaseModel):
    """An open candidate pair as last scored (schema 18, issue 15; local and derived, never in a
    bundle): ``pk_a`` < ``pk_b`` the two uids as :class:`MatchDecision` keys them (a reference record
    is ``ref:<id>``), ``kind`` ``p`` (two persons) or ``r`` (a person and a list record), ``score``
    0–100; ``a_*`` the person scored from, ``b_*`` the candidate (:class:`storage.dedup.Candidate`'s
    fields) as they were; ``rules`` and ``differs`` comma-separated. Rewritten for every person in
    :class:`DupDirty` by :func:`storage.pairstore.refresh`; the review pages it in SQL."""

    pk_a = pw.CharField(max_length=40)
    pk_b = pw.CharField(max_length=40)
    kind = pw.CharField(max_length=1)
    score = pw.IntegerField()
    a_id = pw.IntegerField(index=True)
    b_id = pw.IntegerField(null=True, index=True)
    b_record_id = pw.IntegerField(null=True)
    b_batch_id = pw.IntegerField(null=True, index=True)
    a_uid = pw.CharField(max_length=36)
    a_name = pw.CharField()
    a_id_number = pw.CharField()
    a_birth_date = pw.CharField()
    a_household_code = pw.CharField()
    b_uid = pw.CharField(max_length=40)
    b_name = pw.CharField()
    b_id_number = pw.CharField()
    b_sex = pw.CharField()
    b_birth_date = pw.CharField()
    b_household_code = pw.CharField()
    b_household_uid = pw.CharField()
    b_where = pw.CharField()
    b_source = pw.CharField()
    rule = pw.CharField()
    rules = pw.CharField()
    why = pw.CharField(default="")  # the comparison in words (schema 20)
    differs = pw.CharField()

    class Meta:
        table_name = "dup_pair"
        indexes = ((("pk_a", "pk_b"), True), (("kind", "score", "a_household_code"), False))


class DupDirty(BaseModel):
    """A person whose pairs must be scored again (schema 18): a row per change, written by the
    database's triggers on ``person``, ``household`` and ``birth`` (a mother's change marks her
    children), whatever program path wrote it; ``seq`` orders them so a refresh removes only what
    it saw."""

    seq = pw.AutoField()
    person_id = pw.IntegerField(index=True)

    class Meta:
        table_name = "dup_dirty"


class DupDirtyBatch(BaseModel):
    """A reference list whose status changed (loaded, replaced) since the pairs were scored (schema 18)."""

    seq = pw.AutoField()
    batch_id = pw.IntegerField()

    class Meta:
        table_name = "dup_dirty_batch"


class ImportBatch(BaseModel):
    """One imported reference list (外部名单, DATA.md ImportBatch), local to the office.

    ``source`` is the kind (:data:`storage.sources.SOURCES`); ``sha256`` of the file (the same file
    twice changes nothing); ``mapping`` the header mapping used (JSON: column header → field);
    ``status`` ``active`` or ``replaced`` (by a newer list of the same source)."""

    source = pw.CharField(index=True)
    file_name = pw.CharField()
    sha256 = pw.CharField(max_length=64, index=True)
    sheets = pw.CharField(default="")
    imported_at = pw.CharField()
    operator = pw.CharField()
    rows_read = pw.IntegerField(default=0)
    rows_loaded = pw.IntegerField(default=0)
    rows_rejected = pw.IntegerField(default=0)
    rows_duplicate = pw.IntegerField(default=0)
    mapping = pw.TextField(default="{}")
    status = pw.CharField(default="active")
    unused_columns = pw.TextField(default="[]")  # JSON list of the headers not used ("第N列 表头"), schema 12
    rows_warned = pw.IntegerField(default=0)  # rows loaded with a field left out (an unusable ID number), schema 12


class RefRecord(BaseModel):
    """One loaded row of a reference list (DATA.md RefRecord): the raw row (JSON) and its fields as
    read; ``id_check`` as :mod:`storage.idnumber` says; dates ISO with ``birth_date_prec``."""

    batch = pw.ForeignKeyField(ImportBatch, backref="records", on_delete="CASCADE", index=True)
    source = pw.CharField()
    sheet = pw.CharField(default="")
    row_no = pw.IntegerField()
    raw = pw.TextField()
    name = pw.CharField(default="")
    sex = pw.CharField(default="")
    birth_date = pw.CharField(default="", index=True)
    birth_date_prec = pw.CharField(default="D")
    id_number = pw.CharField(default="")  # as written; searches use id_number_18 (no index, schema 8)
    id_number_18 = pw.CharField(default="", index=True)
    id_check = pw.CharField(default="missing")
    mother_name = pw.CharField(default="")
    mother_id_number = pw.CharField(default="", index=True)
    father_name = pw.CharField(default="")
    father_id_number = pw.CharField(default="")
    address = pw.CharField(default="")
    birth_cert_no = pw.CharField(default="")
    extra = pw.TextField(default="{}")
    birth_order = pw.IntegerField(default=0)  # 孩次 as the list gives it, 0 unknown (schema 12)
    village = pw.CharField(default="")  # the village as written (村(居)委会)
    village_code = pw.CharField(default="")  # resolved against the office's villages, "" when not one of them
    parent_name = pw.CharField(default="")  # 家长姓名: a parent the list does not say is mother or father
    household_no = pw.CharField(default="")  # 户号 of a police register
    relation = pw.CharField(default="")  # 与户主关系 as written


class RefKey(BaseModel):
    """Name keys of a reference record (as :class:`PersonKey` for persons)."""

    record = pw.ForeignKeyField(RefRecord, backref="keys", on_delete="CASCADE", index=True)
    kind = pw.CharField(max_length=1)
    key = pw.CharField(index=True)


class RowError(BaseModel):
    """A row of a reference list that was not loaded (``level`` ``rejected``), or was loaded without
    one of its fields (``warning``: an unusable ID number): where (sheet, row, column), the value, why."""

    batch = pw.ForeignKeyField(ImportBatch, backref="errors", on_delete="CASCADE", index=True)
    sheet = pw.CharField(default="")
    row_no = pw.IntegerField()
    column = pw.CharField(default="")
    value = pw.TextField(default="")
    message = pw.TextField()
    raw = pw.TextField(default="{}")
    level = pw.CharField(default="rejected")  # schema 12


class HeaderMapping(BaseModel):
    """A header layout an office mapped by hand, recognised the next time (issue 6): the source,
    the headers as read (JSON list) and the mapping (JSON: header → field)."""

    source = pw.CharField()
    headers = pw.TextField()
    mapping = pw.TextField()
    saved_at = pw.CharField()

    class Meta:
        indexes = ((("source", "headers"), True),)


class ReconcileFinding(BaseModel):
    """One birth as the last reconciliation saw it across the sources (核查比对, DESIGN.md §7):
    local and derived, rewritten by :func:`storage.reconcile.run`. ``key`` is stable across runs
    (the form's birth uid, else the child's ID number, certificate or mother + date), so a visit
    result (:class:`VisitResult`) finds its birth again. ``kind``: consistent, omission, false,
    misreport, elsewhere. ``groups``: the source groups present (forms, wis, health, education,
    police), joined by spaces; ``evidence`` the records (JSON list); ``differences`` (JSON list of
    ``[field, WIS value, other value, source]``); ``reason`` why a non-match may be legitimate."""

    key = pw.CharField(unique=True)
    kind = pw.CharField(index=True)
    village_code = pw.CharField(default="", index=True)
    birth_date = pw.CharField(default="")
    child_name = pw.CharField(default="")
    sex = pw.CharField(default="")
    mother_name = pw.CharField(default="")
    mother_id_number = pw.CharField(default="")
    groups = pw.CharField(default="")
    evidence = pw.TextField(default="[]")
    differences = pw.TextField(default="[]")
    reason = pw.TextField(default="")
    birth_uid = pw.CharField(default="")
    code = pw.CharField(default="", index=True)  # short code for work lists and clerks (schema 10)


class ReconcileRun(BaseModel):
    """When reconciliation last ran and for which reference date (one row per run, the last one counts)."""

    at = pw.CharField()
    as_of = pw.CharField()
    records = pw.IntegerField(default=0)
    births = pw.IntegerField(default=0)
    seconds = pw.FloatField(default=0.0)


class VisitResult(BaseModel):
    """The clerk's conclusion after a home visit (DATA.md Birth ``finding``: 0 一致, 1 漏报, 2 瞒报,
    3 虚报, 4 错报, 9 待核) on the birth ``key`` of a :class:`ReconcileFinding`, kept across runs;
    ``village_code`` and ``birth_date`` for the summary; ``birth_uid`` the birth it marked or created;
    ``corrections`` (JSON field → value) applied for a 错报; ``records`` the records it was given on,
    by which a later run finds its birth again when the birth's key changed."""

    key = pw.CharField(unique=True)
    conclusion = pw.CharField(max_length=1)
    note = pw.TextField(default="")
    village_code = pw.CharField(default="")
    birth_date = pw.CharField(default="")
    kind = pw.CharField(default="")
    birth_uid = pw.CharField(default="")
    corrections = pw.TextField(default="{}")
    who = pw.CharField()
    at = pw.CharField()
    records = pw.TextField(default="[]")  # the records' keys (ref:N, birth:uid) it was given on (schema 10)
    code = pw.CharField(default="")  # the 编号 it was given under, kept for its birth (schema 11)


class AnnualReport(BaseModel):
    """Births of a village in a statistical year (1 October to 30 September, DATA.md) as the annual
    report gave them, and those corrected by earlier verifications, entered by the office."""

    village_code = pw.CharField()
    year = pw.IntegerField()
    reported = pw.IntegerField(default=0)
    corrected = pw.IntegerField(default=0)

    class Meta:
        indexes = ((("village_code", "year"), True),)


class CalendarOverride(BaseModel):
    """A day of the State Council's holiday notice as the office loaded it (storage/workdays.py):
    ``working`` is true for a 调休 working day, false for a holiday; it wins over chinesecalendar."""

    day = pw.CharField(unique=True)  # YYYY-MM-DD
    working = pw.BooleanField()
    note = pw.CharField(default="")
    source = pw.CharField(default="")
    loaded_at = pw.CharField()
    loaded_by = pw.CharField(default="")


class AssistRequest(BaseModel):
    """A 协查 (assistance request) as this office holds it (DESIGN.md §8, DATA.md; issue 17).

    ``uid`` and ``origin`` (the asking office) identify it across offices; the request itself never
    changes once sent, so it travels as a routed message (:mod:`storage.assist`), not a merged row.
    ``role``: ``sent`` (this office asked), ``received`` (this office answers), ``relay`` (a county
    passing it on). ``status``: ``draft`` 草稿, ``queued`` 待发, ``sent`` 已发, ``open`` 待核,
    ``replied`` 已复, ``closed`` 关闭 (the asker verified the reply). Overdue (逾期) is judged from
    ``due_date``, not stored. ``subject`` and ``items`` are JSON.
    """

    uid = pw.CharField(max_length=36, unique=True, default=new_uid)
    request_no = pw.CharField()
    role = pw.CharField(max_length=8)
    origin = pw.CharField(max_length=12)
    origin_name = pw.CharField(default="")
    to_county = pw.CharField(max_length=6)
    to_township = pw.CharField(max_length=9, default="")
    to_name = pw.CharField(default="")
    kind = pw.CharField(default="birth")
    window_days = pw.IntegerField(default=15)
    window_working = pw.BooleanField(default=True)
    priority = pw.CharField(max_length=1, default="3")
    items = pw.TextField(default="[]")
    subject = pw.TextField(default="{}")
    question = pw.TextField(default="")
    person_uid = pw.CharField(default="")
    birth_uid = pw.CharField(default="")
    migration_uid = pw.CharField(default="")
    source = pw.CharField(default="")  # what it was raised from: migrant, finding:KEY, duplicate, hand
    created_at = pw.CharField()
    created_by = pw.CharField(default="")
    sent_on = pw.CharField(default="")
    received_on = pw.CharField(default="")
    due_date = pw.CharField(default="")
    due_provisional = pw.BooleanField(default=False)
    status = pw.CharField(max_length=8, index=True)
    next_hop = pw.CharField(default="")  # relay: the office it goes on to ("" while not routable)
    updated_at = pw.CharField()


class AssistReply(BaseModel):
    """The answer (协查反馈) to an :class:`AssistRequest`, written by the office that checked.

    ``outcome``: ``consistent`` 一致, ``inconsistent`` 不一致 (``corrections``: JSON of field → the
    value found), ``not_found`` 查无此人, ``moved_out`` 已迁出 (``moved_to``). ``received_on``/``due_date``
    are the answering office's; ``verified_on`` the asker's, when it took the reply (and applied the
    corrections to its own rows, ``applied``)."""

    uid = pw.CharField(max_length=36, unique=True, default=new_uid)
    request_uid = pw.CharField(max_length=36, index=True)
    origin = pw.CharField(max_length=12)
    outcome = pw.CharField(max_length=12)
    corrections = pw.TextField(default="{}")
    moved_to = pw.CharField(default="")
    note = pw.TextField(default="")
    visited = pw.BooleanField(default=False)
    replied_on = pw.CharField()
    replied_by = pw.CharField(default="")
    received_on = pw.CharField(default="")
    due_date = pw.CharField(default="")
    due_provisional = pw.BooleanField(default=False)
    arrived_on = pw.CharField(default="")  # the day the reply reached the asking office
    verified_on = pw.CharField(default="")
    verified_by = pw.CharField(default="")
    applied = pw.TextField(default="")  # what the asker changed on its own rows, in words


class AssistEvent(BaseModel):
    """One step of a request's history at this office: ``created``, ``sent``, ``received``,
    ``routed``, ``opened``, ``visited``, ``replied``, ``reply_received``, ``verified``."""

    request_uid = pw.CharField(max_length=36, index=True)
    at = pw.CharField()
    event = pw.CharField(max_length=16)
    operator = pw.CharField(default="")
    note = pw.TextField(default="")


class AssistOutbox(BaseModel):
    """A request or reply waiting for (or carried in) the bundle to ``next_hop``: the exact message
    that travels. ``bundle_id`` is set in the transaction that writes the bundle."""

    message_uid = pw.CharField(max_length=36)
    kind = pw.CharField(max_length=8)  # request or reply
    next_hop = pw.CharField(max_length=12)
    body = pw.TextField()
    queued_at = pw.CharField()
    bundle_id = pw.CharField(max_length=36, null=True)

    class Meta:
        indexes = ((("next_hop", "bundle_id"), False), (("message_uid", "next_hop"), True))


class ReportUnit(BaseModel):
    """填报单位 (issue 18): a person registered in two townships is reported by one of them, as the
    county decided; the other township keeps its record, marked 不在本乡镇填报, out of its counts.
    Held by the county and by the township whose record is marked (``unit`` reports her)."""

    person_uid = pw.CharField(max_length=36, unique=True)
    unit = pw.CharField(max_length=9)
    decision_uid = pw.CharField(max_length=36)
    at = pw.CharField()


class CountyDecision(BaseModel):
    """A decision the county sent down to a township (``to_office``), acknowledged (``acked_at``) by
    the township's next bundle. ``kind``: ``report_unit`` (``person_uid`` is the record marked, ``unit``
    the township that reports her) or ``conflict`` (``person_uid`` is the row's uid in
    ``record_table``, ``choice`` keep or take, ``conflict_id`` the merge conflict decided)."""

    uid = pw.CharField(max_length=36, unique=True, default=new_uid)
    kind = pw.CharField(max_length=16)
    person_uid = pw.CharField(max_length=36)
    unit = pw.CharField(max_length=9)
    to_office = pw.CharField(max_length=9, index=True)
    note = pw.TextField(default="")
    decided_at = pw.CharField()
    decided_by = pw.CharField(default="")
    acked_at = pw.CharField(default="")
    record_table = pw.CharField(max_length=16, default="")  # kind conflict: the row's table (schema 23)
    choice = pw.CharField(max_length=8, default="")  # kind conflict: keep (the county's row) or take
    conflict_id = pw.IntegerField(default=0)


class TownshipStatus(BaseModel):
    """A township's state as its last bundle said it (schema 25, issue 18): reconciliation findings
    of its last run still open and those concluded by a visit, and when it last reconciled."""

    code = pw.CharField(max_length=9, unique=True)
    findings_open = pw.IntegerField(default=0)
    findings_concluded = pw.IntegerField(default=0)
    reconciled_at = pw.CharField(default="")
    at = pw.CharField()


class SuspendedIndex(BaseModel):
    """A search index set aside while a large batch of bundles is merged (schema 27, issue 18;
    :mod:`storage.bulk`): its name and the SQL that builds it again."""

    name = pw.CharField(max_length=64, unique=True)
    sql = pw.TextField()
    at = pw.CharField()


class HouseholdCheck(BaseModel):
    """A household's last check (schema 28, issue 19; :mod:`storage.checkstore`): its ``errors`` under
    the rules and reference date ``key``, forgotten (triggers) when any of its rows changes. No
    foreign key: a check of a household gone is never read (the gate asks for households that exist)."""

    household_id = pw.IntegerField(primary_key=True)
    key = pw.CharField()
    errors = pw.IntegerField()
    at = pw.CharField()


class TownshipSummary(BaseModel):
    """A village's statistical year as its township's last reconciliation counted it (schema 26,
    issue 18): what the county's summary shows where the county has not reconciled itself."""

    village_code = pw.CharField(max_length=12)
    year = pw.IntegerField()
    linked = pw.IntegerField(default=0)
    omissions = pw.IntegerField(default=0)
    hidden = pw.IntegerField(default=0)
    false = pw.IntegerField(default=0)
    misreports = pw.IntegerField(default=0)
    pending = pw.IntegerField(default=0)

    class Meta:
        indexes = ((("village_code", "year"), True),)


class AppliedDecision(BaseModel):
    """A county decision this township has taken (schema 26): ``outcome`` ``applied`` (written),
    ``superseded`` (the row was edited here since; the newer edit goes up) or ``refused`` (it would
    have broken the row's checks); taken once however often it arrives."""

    uid = pw.CharField(max_length=36, unique=True)
    at = pw.CharField()
    outcome = pw.CharField(max_length=16)


class PlatformPair(BaseModel):
    """A cross-county pair the province's comparison found (issue 21; :mod:`storage.province`): the
    same birth or person in two counties' records. ``kind`` ``birth``/``person``; ``uid_l`` < ``uid_r``
    (the records' uids), their counties and townships; Splink's match ``probability``; the link
    run that found it; the assistance requests sent about each side (``request_l``/``request_r``:
    :class:`AssistRequest` uids, empty until sent). Local to the province, never in a bundle."""

    kind = pw.CharField(max_length=8)
    uid_l = pw.CharField(max_length=36)
    uid_r = pw.CharField(max_length=36)
    county_l = pw.CharField(max_length=12)
    county_r = pw.CharField(max_length=12)
    township_l = pw.CharField(max_length=12, default="")
    township_r = pw.CharField(max_length=12, default="")
    probability = pw.FloatField()
    run = pw.CharField(default="")
    found_at = pw.CharField()
    request_l = pw.CharField(default="")
    request_r = pw.CharField(default="")

    class Meta:
        indexes = ((("kind", "uid_l", "uid_r"), True),)


SHARED_MODELS: tuple[type[SharedModel], ...] = (Household, Person, Birth, WomanFP, Migration)
"""Shared tables in dependency order (a row's references come earlier)."""

ALL_MODELS: tuple[type[BaseModel], ...] = (
    Office,
    Operator,
    AdminDivision,
    Household,
    Person,
    Birth,
    WomanFP,
    Migration,
    AuditLog,
    OwnKey,
    PeerOffice,
    BundleLog,
    MergeConflict,
    Draft,
    EntryLog,
    Recheck,
    RecheckDiff,
    PersonKey,
    MatchDecision,
    ImportBatch,
    RefRecord,
    RefKey,
    RowError,
    HeaderMapping,
    ReconcileFinding,
    ReconcileRun,
    VisitResult,
    AnnualReport,
    CalendarOverride,
    AssistRequest,
    AssistReply,
    AssistEvent,
    AssistOutbox,
    ReportUnit,
    CountyDecision,
    BundleRefusal,
    PeerKey,
    TownshipStatus,
    TownshipSummary,
    SuspendedIndex,
    HouseholdCheck,
    AppliedDecision,
    PlatformPair,
)
