"""Duplicate candidates (重复登记), DESIGN.md §6: one search used by the form, the CLI and the county.

:func:`candidates` takes what the clerk has typed so far (a :class:`Probe`) and returns the live
persons that may be the same person, best first. Blocking (each an indexed lookup):

1. ``same_id``: the same ID number after the 15→18 upgrade (``person.id_number_18``);
2. ``id_one_edit``: an ID number one substitution or one adjacent swap away (about 200 variants,
   looked up on ``person.id_number``, so an ID stored damaged is found too), with the same name key
   (or the same surname and a name one character apart or the same birth date); or the same first
   15 characters with one number ending in 000 (a spreadsheet's cut);
3. ``homophone``: a surname reading + the given name's pinyin (:mod:`storage.names`: 李晓玲 /
   李小玲, 曾 read zeng or ceng), with the birth date equal, day and month swapped, or a few days off;
   ``fuzzy_pinyin``: the same on the dictated-name key (n/l, f/h, -n/-ng, z/zh …), date equal;
4. ``same_mother``: the mother's ID number and a birth date within 5 days (a child on a health list
   with no name, "王芳之女"), twins kept apart;
5. ``name_similar``: a birth date near (10 days, a year or a month off, swapped) and a name one
   character off, dropped, with its characters in another order (形近字, 晓玲/玲晓) or alike when
   dictated, looked up on ``person.birth_date``;
6. ``name_year``: no longer looked up (kept as the rule a pair found otherwise is named by).

The rules only find; :mod:`storage.matchmodel` scores. Each candidate is compared with what was
searched with field by field (ID number, name, birth date, sex, mother), and its score (0–100) is
the match probability of the Fellegi–Sunter weights of those levels, with the name's and the
date's own frequencies (issue 16): two valid numbers far apart weigh against, so that only the same
name and day outweigh them for a name few bear; the date and sex read off an ID number are not
counted again next to that number. ``rule`` names the blocking rule that found the candidate,
``why`` the comparison in words (「同音、生日差1年、母亲同号」). Twins are left out: a child of the
same mother born the same day with another name, or a valid number next to the one searched with
(twins are numbered together) under another name. Pairs a clerk decided are "different"
(:func:`decide_pair`) are never raised again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from . import idnumber, matchmodel
from .codes import RELATION_HEAD
from .db import now_iso, write_txn
from .errors import OperatorError
from .matchmodel import compare_dates, one_char_how, swapped
from .models import Birth, MatchDecision, Person
from .namekeys import index_persons
from .names import NameKeys, name_keys, unnamed_child
from .office import village_label

RULE_SAME_ID = "same_id"
RULE_ID_EDIT = "id_one_edit"
RULE_HOMOPHONE = "homophone"
RULE_FUZZY = "fuzzy_pinyin"
RULE_MOTHER = "same_mother"
RULE_NAME_YEAR = "name_year"
RULE_NAME_SIMILAR = "name_similar"
RULE_TEXT = {
    RULE_SAME_ID: "身份证号相同",
    RULE_ID_EDIT: "身份证号差一位",
    RULE_HOMOPHONE: "姓名同音、出生日期相同或相近",
    RULE_FUZZY: "姓名音近、出生日期相同",
    RULE_MOTHER: "母亲相同、出生日期相近",
    RULE_NAME_YEAR: "姓名相同、出生年份相同",
    RULE_NAME_SIMILAR: "姓名差一字或字序颠倒、出生日期相近",
}
RULE_SHORT = {
    RULE_SAME_ID: "同号",
    RULE_ID_EDIT: "号差一位",
    RULE_HOMOPHONE: "同音同生日",
    RULE_FUZZY: "音近同生日",
    RULE_MOTHER: "同母亲近生日",
    RULE_NAME_YEAR: "同名同年",
    RULE_NAME_SIMILAR: "形近或颠倒",
}
"""Rules in a few characters, for list columns."""
WARN_SCORE = 65
"""Candidates scoring this or more are warned of: they hold a form's save until the clerk confirms,
and the review (菜单 7, ``hecha duplicates``) lists them by default (the strong rules of DESIGN.md §6;
``name_year`` alone only shows below it)."""
DAYS_NEAR = 3  # homophone: birth dates this many days apart still match
DAYS_MOTHER = 5  # same mother: birth dates within 5 days (DESIGN.md §6 rule 4)
DAYS_LUNAR = 55  # a lunar birthday keyed as the solar date: 20–55 days apart (issue 16)
KEY_DRIVEN = 200  # a homophone key borne by at most this many is searched by the key, at any date
DAYS_NEAR_COMMON = 10  # a commoner key: dates this near (and a year or a month off, swapped) only


@dataclass(frozen=True)
class Probe:
    """What is known of the person being typed or imported. ``birth_date``/``sex`` are used when
    no valid ID number gives them; ``person_uid`` is set for a saved person (its decided pairs are
    then left out); ``mother_id_number`` for a child."""

    name: str = ""
    id_number: str = ""
    sex: str = ""
    birth_date: dt.date | None = None
    mother_id_number: str = ""
    person_uid: str | None = None


@dataclass(frozen=True)
class Candidate:
    """An existing person who may be the one being typed.

    ``rule`` names the strongest rule that fired and ``score`` (0–100) its strength; ``rules`` every
    rule that fired; ``differs`` the fields whose values differ from what was typed (``name``,
    ``id_number``, ``birth_date``, ``sex``).
    """

    person_uid: str
    name: str
    id_number: str
    sex: str
    birth_date: str
    household_code: str
    household_uid: str
    village_name: str
    rule: str
    differs: tuple[str, ...]
    score: int = 0
    rules: tuple[str, ...] = field(default=())
    source: str = ""  # for a reference record: the list it is on (``person_uid`` is then ``ref:<id>``)
    why: str = ""  # the comparison in words (:func:`storage.matchmodel.explain`): 同音、生日差1年、母亲同号
    levels: tuple[str, ...] = ()  # the comparison as ``field:level`` (:meth:`storage.matchmodel.Comparison.levels`)

    @property
    def rule_text(self) -> str:
        """Why the candidate is raised, for the warning line: the comparison in words (or the rule
        that found it, for a candidate made without one)."""
        return self.why or RULE_TEXT.get(self.rule, self.rule)

    @property
    def differs_text(self) -> str:
        """The differing fields in words (姓名、出生日期), or 「无」."""
        from .validate import FIELD_LABELS

        return "、".join(FIELD_LABELS.get(f, f) for f in self.differs) or "无"

    @property
    def is_record(self) -> bool:
        """Whether this is a reference record (外部名单) rather than a person of the database."""
        return self.person_uid.startswith("ref:")

    @property
    def where(self) -> str:
        """Where the candidate is: 户 <code> for a person, the list, file and row for a record."""
        return self.village_name if self.is_record else f"户{self.household_code}"


def id_variants(number: str) -> set[str]:
    """ID numbers one substitution or one adjacent swap away from ``number`` (upper case; 15 or
    18 characters; the check character may be X). ``number`` itself is not included."""
    number = number.upper()
    out: set[str] = set()
    for i, c in enumerate(number):
        alphabet = "0123456789X" if i == 17 else "0123456789"
        out.update(number[:i] + d + number[i + 1 :] for d in alphabet if d != c)
    for i in range(len(number) - 1):
        if number[i] != number[i + 1]:
            out.add(number[:i] + number[i + 1] + number[i] + number[i + 2 :])
    out.discard(number)
    return out


# ---------------------------------------------------------------------------- search
def _date(iso: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(iso) if len(iso) == 10 else None
    except ValueError:
        return None


def days_around(born: dt.date, days: int) -> tuple[str, str]:
    """The ISO dates ``days`` before and after ``born``, kept inside the calendar (a typed 9999-12-31,
    an "unknown" date, ended the search in an OverflowError)."""
    lo = born - dt.timedelta(days=min(days, (born - dt.date.min).days))
    hi = born + dt.timedelta(days=min(days, (dt.date.max - born).days))
    return lo.isoformat(), hi.isoformat()


def _near_dates(born: dt.date, days: int = DAYS_LUNAR) -> tuple[str, list[str]]:
    """SQL (on ``p.birth_date``) and its parameters for the dates :func:`storage.matchmodel.compare_dates` calls near
    ``born``: a range of ``days`` days each side (:data:`DAYS_LUNAR`), and the same day a year off,
    another month of the year, or day and month swapped."""
    lo, hi = days_around(born, days)
    others = set()
    for year in (born.year - 1, born.year + 1):
        try:
            others.add(born.replace(year=year).isoformat())
        except ValueError:  # 29 February
            pass
    for month in range(1, 13):
        try:
            others.add(born.replace(month=month).isoformat())
        except ValueError:
            pass
    if swapped(born):
        others.add(swapped(born).isoformat())  # type: ignore[union-attr]
    others = {d for d in others if not lo <= d <= hi}
    marks = ", ".join("?" * len(others))
    return (
        f"(p.birth_date BETWEEN ? AND ?{f' OR p.birth_date IN ({marks})' if others else ''})",
        [lo, hi, *sorted(others)],
    )


def one_char_apart(a: str, b: str) -> bool:
    """Two names that differ in one character (形近字: 王/玉, 伟/纬), hold the same characters in
    another order (晓玲/玲晓), or where one has a character the other dropped (李艳勇/李艳, issue 16;
    both of two characters or more): :func:`storage.matchmodel.one_char_how`."""
    return bool(one_char_how(a, b))


def _name_alike(keys: NameKeys, their_name: str) -> bool:
    """A name one character off, swapped or dropped (:func:`one_char_apart`), or alike when dictated
    with the same surname (高洪军 / 高红君), as far as the name alone says."""
    if not their_name or their_name == keys.norm:
        return False
    if one_char_apart(keys.simplified, their_name):
        return True
    if their_name[0] != keys.simplified[0] and their_name[0] != keys.norm[0]:
        return False  # another surname (a homophone surname is found by its key)
    other = name_keys(their_name)
    return one_char_apart(keys.simplified, other.simplified) or bool(set(keys.fuzzy_keys) & set(other.fuzzy_keys))


def _same_surname_and_more(keys: NameKeys, their_name: str, born: dt.date | None, theirs: str) -> bool:
    """For an ID number one slip away whose name key differs: the same surname, and a name one
    character apart (:func:`one_char_apart`) or the same birth date."""
    other = name_keys(their_name)
    if not other.surname or other.surname != keys.surname:
        return False
    return one_char_apart(keys.simplified, other.simplified) or (born is not None and theirs == born.isoformat())


def _differs(
    keys: NameKeys | None,
    info: idnumber.IdInfo | None,
    born: dt.date | None,
    sex: str,
    their_name: str,
    number: str,
    number_18: str,
    their_born: str,
    their_sex: str,
) -> tuple[str, ...]:
    """The fields of a found person or record that differ from those searched with (``name``,
    ``id_number``, ``birth_date``, ``sex``); a field empty on either side does not differ."""
    differs = []
    if keys and their_name and name_keys(their_name).simplified != keys.simplified:
        differs.append("name")
    if info and info.number and number and (number_18 or number) != (info.number_18 or info.number):
        differs.append("id_number")
    if born and their_born and their_born != born.isoformat():
        differs.append("birth_date")
    if sex and their_sex and their_sex != sex:
        differs.append("sex")
    return tuple(differs)


TF_FLOOR = 20_000
"""The fewest persons (or list records) the term frequencies are taken over: a new database of a
few households is scored as if its other persons were all different (a township holds 20,000 or
more), so that its first duplicates are warned of as they will be later."""


class _Weigher:
    """Scores found rows against what was searched with (:mod:`storage.matchmodel`): one per
    search, holding the term frequencies of the name and birth date searched with among the rows of
    ``table`` (``person`` or ``ref_record``; their name keys in ``person_key`` / ``ref_key``)."""

    def __init__(
        self,
        sql,
        table: str,
        keys: NameKeys | None,
        born: dt.date | None,
        info: idnumber.IdInfo | None,
        sex: str,
        mother: str,
        exclude: frozenset[str] = frozenset(),
        stats: tuple[bool, int, float | None, float | None] | None = None,
    ) -> None:
        self.model = matchmodel.model()
        self.keys, self.born, self.sex, self.mother = keys, born, sex, mother
        self.mine = (info.number_18 or info.number) if info and info.number else ""
        self.mine_valid = bool(info and info.ok)
        self.born_from_id = info is not None and info.birth_date is not None and info.birth_date == born
        if stats is not None:  # counted in bulk by the review (:func:`score_pairs`)
            self.taken, self.total, self.name_u, self.date_u = stats
            return
        # the number searched with is another person's here (not the one searched from): a child
        # keyed with its mother's number looks so (issue 16)
        self.taken = bool(info and info.number_18) and any(
            uid not in exclude
            for (uid,) in sql(
                "SELECT uid FROM person WHERE id_number_18 = ? AND deleted = 0 LIMIT 3",
                (info.number_18,),  # type: ignore[union-attr]
            )
        )
        self.total = total = max(sql(f"SELECT max(id) FROM {table}").fetchone()[0] or 0, TF_FLOOR)
        key_table = "person_key" if table == "person" else "ref_key"
        self.name_u = self.date_u = None
        if keys and keys.simplified:
            n = sql(f"SELECT count(*) FROM {key_table} WHERE kind = 'n' AND key = ?", (keys.simplified,)).fetchone()[0]
            self.name_u = max(n, 1) / total
        if born:
            d = sql(f"SELECT count(*) FROM {table} WHERE birth_date = ?", (born.isoformat(),)).fetchone()[0]
            self.date_u = max(d, 1) / total

    def __call__(
        self, name: str, number: str, number_18: str, check: str, born: str, sex: str, mother: str
    ) -> tuple[int, str, tuple[str, ...]]:
        """(score 0–100, the comparison in words, its levels) of one found row."""
        if len(mother) == 15:
            mother = idnumber.parse(mother).number_18 or mother
        theirs_valid = bool(number_18) and check in (idnumber.OK, idnumber.LEGACY15)
        c = matchmodel.compare(
            id_pair=(self.mine, self.mine_valid, (number_18 or number).upper(), theirs_valid),
            taken=self.taken,
            keys=self.keys,
            their_name=name if name and not unnamed_child(name) else "",
            born=self.born,
            their_born=_date(born),
            sex=self.sex,
            their_sex=sex,
            # a number that is another person's and their mother's: the child's record carries it
            mother=self.mother or (self.mine if self.taken and mother == self.mine else ""),
            their_mother=mother.upper(),
            born_from_id=self.born_from_id,
        )
        score = self.model.score(c, persons=self.total, name_u=self.name_u, date_u=self.date_u)
        return score, matchmodel.explain(c), c.levels()


def _without_twins(found: list[Candidate]) -> list[Candidate]:
    """``found`` less the twins of the one searched for: among the children of the mother searched
    with (or whose number was given) born that day, when one bears the name (the same or a
    homophone), the others are its twins, not it (unless their ID number says otherwise)."""
    named = {"name:exact", "name:homophone"}
    by_number = {"id:same", "id:one_edit", "id:cut"}
    that_day = [c for c in found if {"mother:same", "date:same"} <= set(c.levels)]
    if not any(named & set(c.levels) for c in that_day):
        return found
    twins = {c.person_uid for c in that_day if not (named | by_number) & set(c.levels)}
    return [c for c in found if c.person_uid not in twins]


def rule_of(levels: tuple[str, ...]) -> str:
    """The blocking rule a comparison (``field:level``, :meth:`storage.matchmodel.Comparison.levels`)
    would have been found by, for a candidate scored without searching."""
    lv = dict(x.split(":", 1) for x in levels)
    name, date = lv.get("name"), lv.get("date")
    if lv.get("id") == "same":
        return RULE_SAME_ID
    if lv.get("id") in ("one_edit", "cut"):
        return RULE_ID_EDIT
    if lv.get("mother") == "same":
        return RULE_MOTHER
    if name in ("exact", "homophone") and date not in (None, "other"):
        return RULE_HOMOPHONE
    if name == "fuzzy":
        return RULE_FUZZY
    if name in ("one_char", "one_char_short"):
        return RULE_NAME_SIMILAR
    return RULE_NAME_YEAR


def twin_numbers(a: str, b: str) -> bool:
    """Whether two 18-character ID numbers are those of twins: the same region and birth date
    (characters 1–14, GB 11643-1999 §5) and sequence codes at most 2 apart (twins registered
    together take consecutive numbers, odd for a boy and even for a girl). Two valid numbers so
    alike are two children of one birth, not one child keyed twice (issue 16)."""
    if len(a) != 18 or len(b) != 18 or a == b or a[:14] != b[:14] or not (a[14:17] + b[14:17]).isdigit():
        return False
    return abs(int(a[14:17]) - int(b[14:17])) <= 2


def _decided_different(person_uid: str | None) -> set[str]:
    if not person_uid:
        return set()
    rows = MatchDecision._meta.database.execute_sql(
        """SELECT a_uid, b_uid FROM match_decision WHERE decision = 'different' AND a_uid = ?
           UNION ALL SELECT a_uid, b_uid FROM match_decision WHERE decision = 'different' AND b_uid = ?""",
        (person_uid, person_uid),
    )
    return {b if a == person_uid else a for a, b in rows}


def _siblings(
    rows: list[tuple[int, str, str, str]], keys: NameKeys | None, born: dt.date, sex: str
) -> tuple[set[int], dict[int, int]]:
    """The mother's children born within :data:`DAYS_MOTHER` days of ``born`` (``rows``: child id,
    birth date, name, sex) split into the twins of the one searched for (the same day, another name
    or sex: never a duplicate) and the others, each with the score of :data:`RULE_MOTHER`."""
    same_day = [r for r in rows if r[1] == born.isoformat()]
    named = keys is not None and any(r[2] and name_keys(r[2]).homophone_keys == keys.homophone_keys for r in same_day)
    twins: set[int] = set()
    others: dict[int, int] = {}
    for child, theirs, their_name, their_sex in rows:
        # twins (two children of the mother that day): the one named as typed is the match, the
        # other is the twin; another sex on the same day is never the same child
        other_name = (
            named
            and keys is not None
            and len(same_day) > 1
            and their_name
            and name_keys(their_name).homophone_keys != keys.homophone_keys
        )
        # another sex that day is the twin too, unless the name is this one's (the sex keyed wrong)
        named_so = keys is not None and bool(their_name) and name_keys(their_name).homophone_keys == keys.homophone_keys
        other_sex = bool(sex) and bool(their_sex) and sex != their_sex and not named_so
        if theirs == born.isoformat() and (other_name or other_sex):
            twins.add(child)
        else:
            others[child] = max(others.get(child, 0), 80 if theirs == born.isoformat() else 70)
    return twins, others


PERSON_ROW = """SELECT p.id, p.uid, p.name, p.id_number, p.id_number_18, p.sex, p.birth_date,
                   h.village_code, h.household_code, h.uid, p.id_check,
                   (SELECT m.id_number_18 FROM birth b JOIN person m ON m.id = b.mother_id
                     WHERE b.child_id = p.id AND b.deleted = 0 LIMIT 1)
            FROM person p JOIN household h ON h.id = p.household_id WHERE p.id IN ({})"""
"""A found person as the scoring reads it (plain SQL with the columns needed: peewee built a
statement of every Person and Household column for each search, which took longer than running it)."""


def _weighed(
    rows,
    found: dict[int, dict[str, int]],
    weigh: _Weigher,
    *,
    keys: NameKeys | None,
    info: idnumber.IdInfo | None,
    born: dt.date | None,
    sex: str,
    skip: set[str],
    person_uid: str | None,
    exclude_household_uid: str | None,
    min_score: int,
    limit: int,
) -> list[Candidate]:
    """The :data:`PERSON_ROW` rows of the persons ``found`` (id → {rule: score}) scored by ``weigh``
    as candidates, twins left out, best first (the end of :func:`candidates`, shared with the review's
    bulk scoring)."""
    out = []
    for (
        pid,
        uid,
        their_name,
        number,
        number_18,
        their_sex,
        their_born,
        code,
        household_code,
        household_uid,
        check,
        their_mother,
    ) in rows:
        if uid in skip or uid == person_uid or household_uid == exclude_household_uid:
            continue
        score, why, levels = weigh(their_name, number, number_18, check, their_born, their_sex, their_mother or "")
        if score < min_score and "mother:same" not in levels:
            continue  # below the bar (a sibling stays: it may tell twins apart below)
        rules = found[pid] or {rule_of(levels): 0}
        if "id:two_valid" in levels and "name:exact" not in levels and twin_numbers(weigh.mine, number_18):
            continue  # a twin: the same mother's other child of that day
        if {"mother:same", "date:same", "sex:other"} <= set(levels) and "name:exact" not in levels:
            continue  # the twin of the other sex (子轩/子萱)
        best = max(rules, key=rules.__getitem__)
        differs = _differs(keys, info, born, sex, their_name, number, number_18, their_born, their_sex)
        out.append(
            Candidate(
                person_uid=uid,
                name=their_name,
                id_number=number,
                sex=their_sex,
                birth_date=their_born,
                household_code=household_code,
                household_uid=household_uid,
                village_name=village_label(code),
                rule=best,
                differs=differs,
                score=score,
                rules=tuple(sorted(rules, key=rules.__getitem__, reverse=True)),
                why=why,
                levels=levels,
            )
        )
    out = _without_twins(out)
    out.sort(key=lambda c: (-c.score, c.household_code, c.name))
    return [c for c in out if c.score >= min_score][:limit]


def candidates(
    id_number: str = "",
    *,
    name: str = "",
    sex: str = "",
    birth_date: dt.date | None = None,
    mother_id_number: str = "",
    person_uid: str | None = None,
    exclude_household_uid: str | None = None,
    exclude_person_uids: frozenset[str] = frozenset(),
    limit: int = 20,
    min_score: int = 0,
    only: frozenset[int] | None = None,
) -> list[Candidate]:
    """Live persons who may be the person described (see the module text for the rules), best
    first, at most ``limit``, scoring at least ``min_score`` (:data:`WARN_SCORE`: those the form
    warns about). A typed ID number gives the birth date and sex when it is valid. ``only``: score
    these person ids instead of searching (the review's refresh, whose SQL found them); their
    ``rule`` is then read off the comparison (:func:`rule_of`).

    Persons of the household ``exclude_household_uid`` (the one being edited), ``exclude_person_uids``
    and the pairs decided "different" with ``person_uid`` are left out. Each rule is one or two
    indexed lookups; the whole search takes a few milliseconds on a million persons.
    """
    info = idnumber.parse(id_number) if id_number else None
    born = birth_date or (info.birth_date if info and info.birth_date else None)  # a list's own date column wins
    sex = sex or ((info.sex or "") if info and info.ok else "")  # a valid number always gives a sex
    unnamed = unnamed_child(name) if name else None  # 王芳之女: no name to compare
    keys = name_keys(name) if name and not unnamed else None
    found: dict[int, dict[str, int]] = {}  # person id → {rule: score}

    def hit(pid: int, rule: str, score: int) -> None:
        rules = found.setdefault(pid, {})
        rules[rule] = max(score, rules.get(rule, 0))

    # every lookup in plain SQL: peewee took longer to build each statement than SQLite to run it,
    # and the review runs this search for thousands of persons
    sql = Person._meta.database.execute_sql
    if only is None:  # the blocking rules (the review knows the partners its own SQL found)
        if info and info.number_18:
            rows = sql(
                "SELECT id, name, birth_date FROM person WHERE id_number_18 = ? AND deleted = 0", (info.number_18,)
            )
            for pid, their_name, theirs in rows:
                # the same ID on someone of another name and another birth date: most often a child
                # given a parent's number on a list, so it stays a candidate but below a real match
                other = (
                    keys
                    and name_keys(their_name).homophone_keys != keys.homophone_keys
                    and born
                    and theirs
                    and theirs != born.isoformat()
                )
                hit(pid, RULE_SAME_ID, 60 if other else 100)
        if info and len(info.number) in (15, 18) and keys:
            variants = sorted(id_variants(info.number))
            wanted = {keys.simplified, *keys.homophone_keys}
            marks = ", ".join(
                "?" * len(variants)
            )  # plain SQL: peewee takes longer to build 400 parameters than SQLite to look them up
            rows = sql(
                f"""SELECT p.id, k.key, p.name, p.birth_date FROM person p
                    JOIN person_key k ON k.person_id = p.id AND k.kind IN ('n', 'h')
                    WHERE (p.id_number IN ({marks}) OR p.id_number_18 IN ({marks})) AND p.deleted = 0""",
                variants + variants,
            )
            for pid, key, their_name, theirs in rows:
                if key in wanted:
                    hit(pid, RULE_ID_EDIT, 90)
                elif _same_surname_and_more(keys, their_name, born, theirs):
                    hit(pid, RULE_ID_EDIT, 80)  # a damaged number and a character dropped too (issue 16)
        if info and info.number_18:
            # a child's record carrying its mother's (or father's) number (a health list): that
            # person's children, scored on their name and date (issue 16)
            for (child,) in sql(
                """SELECT b.child_id FROM person m JOIN birth b ON b.mother_id = m.id
                   WHERE m.id_number_18 = ? AND m.deleted = 0 AND b.deleted = 0 AND b.child_id IS NOT NULL
                   UNION SELECT b.child_id FROM person m JOIN birth b ON b.father_id = m.id
                   WHERE m.id_number_18 = ? AND m.deleted = 0 AND b.deleted = 0 AND b.child_id IS NOT NULL""",
                (info.number_18, info.number_18),
            ):
                hit(child, RULE_MOTHER, 60)
        if info and len(info.number_18 or info.number) == 18:
            # a number a spreadsheet cut to 15 digits (…025000), on either side (issue 16)
            number = info.number_18 or info.number
            for pid, theirs in sql(
                "SELECT id, id_number_18 FROM person WHERE id_number_18 >= ? AND id_number_18 < ? AND deleted = 0",
                (number[:15], number[:15] + "~"),
            ):
                if matchmodel.cut_alike(number, theirs):
                    hit(pid, RULE_ID_EDIT, 85)
        if keys and keys.homophone_keys and born:
            dates = {"h": _near_dates(born), "f": ("p.birth_date = ?", [born.isoformat()])}
            for kind, rule, keyset in (("h", RULE_HOMOPHONE, keys.homophone_keys), ("f", RULE_FUZZY, keys.fuzzy_keys)):
                # driven from the birth dates (a few hundred persons in a week of a million), not from the
                # key: a common name (张伟) has thousands of rows under its key, and each would cost a
                # random read of its person. "+k.key" keeps SQLite from choosing the key's index.
                where, params = dates[kind]
                marks = ", ".join("?" * len(keyset))
                bearers = sql(  # counted up to one past the bound only (王燕: thousands)
                    f"SELECT count(*) FROM (SELECT 1 FROM person_key WHERE kind = ? AND key IN ({marks}) LIMIT ?)",
                    [kind, *keyset, KEY_DRIVEN + 1],
                )
                if kind == "h" and bearers.fetchone()[0] <= KEY_DRIVEN:
                    # a name few bear: all of them, by the key's index (the dates 55 days around a
                    # day of a million persons are thousands of rows; issue 16's p99 budget)
                    rows = sql(
                        f"""SELECT p.id, p.birth_date, p.name FROM person_key k JOIN person p ON p.id = k.person_id
                            WHERE k.kind = ? AND k.key IN ({marks}) AND p.deleted = 0""",
                        [kind, *keyset],
                    )
                else:
                    if kind == "h":  # a common name: the near dates only (a far date is no evidence for it)
                        where, params = _near_dates(born, DAYS_NEAR_COMMON)
                    rows = sql(
                        f"""SELECT p.id, p.birth_date, p.name FROM person p JOIN person_key k ON k.person_id = p.id
                            WHERE {where} AND p.deleted = 0 AND k.kind = ? AND +k.key IN ({marks})""",
                        [*params, kind, *keyset],
                    )
                for pid, theirs, _their_name in rows:
                    close = compare_dates(born, _date(theirs))[0]
                    if close in (None, "other") or (rule == RULE_FUZZY and close != "same"):
                        continue
                    # (a rule's number only says which rule names the candidate: matchmodel scores)
                    hit(pid, rule, (85 if close == "same" else 70) - (25 if rule == RULE_FUZZY else 0))
        if keys and born and len(keys.simplified) >= 2:
            # a name one character off, swapped, dropped or alike when dictated, with the birth date near
            # (10 days, a year or a month off, swapped): two errors at once (issue 16)
            where, params = _near_dates(born, DAYS_NEAR_COMMON)
            # a name one character apart keeps the first or the last character (王芳/玉芳, 李艳勇/李艳)
            ends = sorted({keys.simplified[0], keys.simplified[-1], keys.norm[0], keys.norm[-1]})
            rows = sql(
                f"""SELECT p.id, p.name FROM person p WHERE {where} AND p.deleted = 0
                    AND ({" OR ".join("instr(p.name, ?)" for _ in ends)})""",
                [*params, *ends],
            )
            for pid, their_name in rows:
                if _name_alike(keys, their_name):
                    hit(pid, RULE_NAME_SIMILAR, 45)  # a rule of its own only when no other found it
        # (the same name and birth year alone, 同名同年, is no longer looked up: weighed, a date that far
        # off is evidence against, and for a common name (王燕) it read thousands of rows; issue 16)
    else:
        for pid in only:
            found.setdefault(pid, {})
    twins: set[int] = set()  # the same mother, the same day, another name or sex: never a duplicate
    mother = idnumber.parse(mother_id_number) if mother_id_number else None
    if mother and mother.number_18 and born:
        lo, hi = days_around(born, DAYS_MOTHER)
        rows = list(
            sql(
                """SELECT b.child_id, b.birth_date, b.child_name, b.child_sex FROM birth b
                           WHERE b.mother_id IN (SELECT id FROM person WHERE id_number_18 = ? AND deleted = 0)
                             AND b.child_id IS NOT NULL AND b.deleted = 0 AND b.birth_date BETWEEN ? AND ?""",
                (mother.number_18, lo, hi),
            )
        )
        twins, mothers = _siblings(rows, keys, born, sex)
        for child, score in mothers.items():
            hit(child, RULE_MOTHER, score)
    for pid in twins:  # unless the ID number says it is this child
        if pid in found and not ({RULE_SAME_ID, RULE_ID_EDIT} & set(found[pid])):
            del found[pid]
    if not found:
        return []
    skip = set(exclude_person_uids) | _decided_different(person_uid)
    ids = list(found)
    rows = sql(PERSON_ROW.format(", ".join("?" * len(ids))), ids)
    weigh = _Weigher(
        sql, "person", keys, born, info, sex, mother.number_18 if mother else "", frozenset(skip | {person_uid or ""})
    )
    return _weighed(
        rows,
        found,
        weigh,
        keys=keys,
        info=info,
        born=born,
        sex=sex,
        skip=skip,
        person_uid=person_uid,
        exclude_household_uid=exclude_household_uid,
        min_score=min_score,
        limit=limit,
    )


@dataclass(frozen=True)
class Scorer:
    """A person the review scores its blocked partners from (:func:`score_pairs`)."""

    id: int
    uid: str
    name: str
    id_number: str
    sex: str
    birth_date: str
    mother_id_number: str


def score_pairs(
    scorers: list[Scorer], partners: dict[int, set[int]], *, min_score: int = 0, seen: dict | None = None
) -> dict[int, list[Candidate]]:
    """Score each scorer against its blocked partners (person ids) as :func:`candidates` with
    ``only`` would, the rows and counts read in bulk for all of them (a few queries per call, not
    several per scorer: the review of a county of a million persons; issue 18). Returns scorer id →
    its candidates scoring ``min_score`` or more, best first, at most 500: its partners, and (as
    :func:`candidates` scores them too, for telling twins apart) the mother's other children born
    within a few days. ``seen``: counts kept between calls of one review (a name's or a date's
    frequency does not change while it scores)."""
    sql = Person._meta.database.execute_sql
    seen = {} if seen is None else seen

    def chunks(values: list) -> list[list]:
        return [values[i : i + 900] for i in range(0, len(values), 900)]

    def counted(query: str, values: list) -> dict:
        known = seen.setdefault(query, {})
        missing = [v for v in values if v not in known]
        for part in chunks(missing):
            found = dict(sql(query.format(", ".join("?" * len(part))), part))
            known.update({v: found.get(v, 0) for v in part})
        return known

    context = []
    for s in scorers:
        info = idnumber.parse(s.id_number) if s.id_number else None
        born = _date(s.birth_date) or (info.birth_date if info and info.birth_date else None)
        sex = s.sex or ((info.sex or "") if info and info.ok else "")
        keys = name_keys(s.name) if s.name and not unnamed_child(s.name) else None
        mum = idnumber.parse(s.mother_id_number) if s.mother_id_number else None
        context.append((s, info, born, sex, keys, mum.number_18 if mum and mum.number_18 else ""))
    children: dict[str, list[tuple[int, str, str, str]]] = {}
    for part in chunks(sorted({m for *_, m in context if m})):
        marks = ", ".join("?" * len(part))
        for number, child, day, name, sex in sql(
            f"""SELECT m.id_number_18, b.child_id, b.birth_date, b.child_name, b.child_sex FROM birth b
                JOIN person m ON m.id = b.mother_id WHERE m.id_number_18 IN ({marks}) AND m.deleted = 0
                AND b.child_id IS NOT NULL AND b.deleted = 0""",
            part,
        ):
            children.setdefault(number, []).append((child, day, name, sex))
    found_of: dict[int, dict[int, dict[str, int]]] = {}
    for s, _info, born, sex, keys, mother in context:
        found: dict[int, dict[str, int]] = {pid: {} for pid in partners.get(s.id, ())}
        if mother and born:
            lo, hi = days_around(born, DAYS_MOTHER)
            twins, others = _siblings([r for r in children.get(mother, []) if lo <= r[1] <= hi], keys, born, sex)
            for child, score in others.items():
                found.setdefault(child, {})[RULE_MOTHER] = score
            for pid in twins:
                found.pop(pid, None)
        found.pop(s.id, None)
        found_of[s.id] = found
    wanted = sorted({pid for found in found_of.values() for pid in found})
    rows_of: dict[int, tuple] = {}
    for part in chunks(wanted):
        rows_of.update((r[0], r) for r in sql(PERSON_ROW.format(", ".join("?" * len(part))), part))
    if "total" not in seen:
        seen["total"] = max(sql("SELECT max(id) FROM person").fetchone()[0] or 0, TF_FLOOR)
    total = seen["total"]
    name_n = counted(
        "SELECT key, count(*) FROM person_key WHERE kind = 'n' AND key IN ({}) GROUP BY key",
        sorted({k.simplified for _, _, _, _, k, _ in context if k and k.simplified}),
    )
    date_n = counted(
        "SELECT birth_date, count(*) FROM person WHERE birth_date IN ({}) GROUP BY birth_date",
        sorted({b.isoformat() for _, _, b, _, _, _ in context if b}),
    )
    holders: dict[str, set[str]] = {}
    for part in chunks(sorted({i.number_18 for _, i, _, _, _, _ in context if i and i.number_18})):
        marks = ", ".join("?" * len(part))
        for number, uid in sql(
            f"SELECT id_number_18, uid FROM person WHERE id_number_18 IN ({marks}) AND deleted = 0", part
        ):
            holders.setdefault(number, set()).add(uid)
    out: dict[int, list[Candidate]] = {}
    for s, info, born, sex, keys, mother in context:
        found = found_of[s.id]
        number_18 = info.number_18 if info else ""
        taken = bool(number_18) and bool(holders.get(number_18, set()) - {s.uid})
        name_u = max(name_n.get(keys.simplified, 0), 1) / total if keys and keys.simplified else None
        date_u = max(date_n.get(born.isoformat(), 0), 1) / total if born else None
        weigh = _Weigher(None, "person", keys, born, info, sex, mother, stats=(taken, total, name_u, date_u))
        out[s.id] = _weighed(
            [rows_of[pid] for pid in found if pid in rows_of],
            found,
            weigh,
            keys=keys,
            info=info,
            born=born,
            sex=sex,
            skip={s.uid},
            person_uid=None,
            exclude_household_uid=None,
            min_score=min_score,
            limit=500,
        )
    return out


# ---------------------------------------------------------------------------- decisions
def decide_pair(
    a_uid: str, b_uid: str, decision: str, *, rule: str = "", score: int = 0, who: str = "", note: str = ""
) -> None:
    """Record a decision on a pair of persons (``same`` / ``different`` / ``unsure``), replacing an
    earlier one; a ``different`` pair is never raised again. Must run inside a write transaction
    or opens one."""
    if decision not in ("same", "different", "unsure"):
        raise ValueError(f"判定应为 same、different 或 unsure，不是 {decision!r}")
    a, b = sorted((a_uid, b_uid))
    from .paths import operator_login

    values = dict(decision=decision, rule=rule, score=score, who=who or operator_login(), at=now_iso(), note=note)
    with write_txn():
        MatchDecision.insert(a_uid=a, b_uid=b, **values).on_conflict(
            conflict_target=[MatchDecision.a_uid, MatchDecision.b_uid], update=values
        ).execute()


# ---------------------------------------------------------------------------- review
@dataclass(frozen=True)
class Pair:
    """Two live persons that may be one (for the review and ``hecha duplicates``): ``a`` is the
    person searched from, ``b`` the candidate found (with its rule, score and differing fields)."""

    a_uid: str
    a_name: str
    a_id_number: str
    a_birth_date: str
    a_household_code: str
    b: Candidate
    decision: str = ""  # an earlier "same" or "unsure" (a "different" pair is not listed)

    def sides(self) -> tuple[str, str]:
        """甲 and 乙 as the review and ``hecha duplicates`` show them: name, ID number masked but for
        its last four characters and where the two differ (:func:`storage.idnumber.mask_pair`; issue
        14: whole numbers only on a record's own detail) or, without one, the birth date; where."""
        from .idnumber import mask_pair

        a_id, b_id = mask_pair(self.a_id_number, self.b.id_number)
        where = self.b.where if self.b.is_record else f"{self.b.where} {self.b.village_name}".strip()
        return (
            f"{self.a_name} {a_id or self.a_birth_date} 户{self.a_household_code}",
            f"{self.b.name} {b_id or self.b.birth_date} {where}",
        )


# ---------------------------------------------------------------------------- merging
class MergeRefused(OperatorError):
    """Two persons cannot be merged as asked; the message says why and what to do."""


@dataclass(frozen=True)
class Merged:
    """What :func:`merge_persons` did: the survivor's uid, rows moved to it, fields it took over."""

    keep_uid: str
    moved: int
    filled: tuple[str, ...]
    household_removed: bool


FILLABLE = (
    "id_number",
    "sex",
    "birth_date",
    "ethnicity",
    "education",
    "marital_status",
    "phone",
    "former_names",
    "hukou_place_code",
    "hukou_place_text",
    "residence_text",
    "work_unit",
    "wis_person_code",
    "gpl_person_code",
)
"""Fields the survivor takes from the duplicate where its own are empty."""


def merge_check(keep_uid: str, drop_uid: str) -> tuple[Person, Person]:
    """The two live persons a merge of ``drop_uid`` into ``keep_uid`` would join, or
    :class:`MergeRefused` saying why it may not (what the command line asks before its confirmation
    and :func:`merge_persons` checks again): a list record (``ref:N``), an unknown or the same
    person, two valid ID numbers or sexes that differ, a duplicate who heads a household with
    other members."""
    if keep_uid.startswith("ref:") or drop_uid.startswith("ref:"):
        raise MergeRefused(
            "外部名单记录不能合并（它不是本库的人员）：是同一人就用 hecha duplicates decide same 人员uid ref:N 记下"
        )
    live = Person.deleted == False
    keep = Person.get_or_none((Person.uid == keep_uid) & live)
    drop = Person.get_or_none((Person.uid == drop_uid) & live)
    if keep is None or drop is None:
        raise MergeRefused(
            f"没有 uid 为 {keep_uid if keep is None else drop_uid} 的在册人员（已合并或删除？）：uid 见 hecha "
            "duplicates 的最后两列"
        )
    if keep.id == drop.id:
        raise MergeRefused("保留的和删去的是同一条记录：请给出两个不同的 uid")
    if keep.id_number_18 and drop.id_number_18 and keep.id_number_18 != drop.id_number_18:
        raise MergeRefused(f"两人的身份证号不同（{keep.id_number} / {drop.id_number}）：先核对号码，改正后再合并")
    if keep.sex and drop.sex and keep.sex != drop.sex:
        raise MergeRefused("两人的性别不同：先核对，改正后再合并")
    others = Person.select().where((Person.household == drop.household) & live & (Person.id != drop.id))
    if drop.relation_to_head == RELATION_HEAD and others.exists():
        raise MergeRefused(
            f"{drop.name} 是户 {drop.household.household_code} 的户主，户里还有别人：请先在户列表中改定户主，再合并"
        )
    return keep, drop


def merge_persons(keep_uid: str, drop_uid: str, *, operator: str | None = None, note: str = "") -> Merged:
    """Merge the person ``drop_uid`` (registered twice) into ``keep_uid`` in one transaction.

    Births (as mother, father or child), migration episodes and the woman's page move to the
    survivor (a page she already has wins; the other is tombstoned); the survivor takes the
    duplicate's values for its empty fields (:data:`FILLABLE`); the duplicate is tombstoned with the
    reason, and its household too when it was its only member. Every change goes through
    :mod:`storage.audit`, so the trail shows where each row came from; the pair is recorded as
    ``same``. Raises :class:`MergeRefused` for unknown or equal persons, two valid ID numbers or
    sexes that differ (fix the wrong one first), a duplicate who heads a
    household with other members (change the head first), or rows another office owns.
    """
    from . import audit
    from .models import Migration, WomanFP

    live = Person.deleted == False
    keep, drop = merge_check(keep_uid, drop_uid)
    others = Person.select().where((Person.household == drop.household) & live & (Person.id != drop.id))
    reason = f"重复登记合并：{drop.name}（{drop.uid}）并入 {keep.name}（{keep.uid}）" + (f"；{note}" if note else "")
    moved, filled = 0, []
    try:
        with write_txn():
            for b in Birth.select().where(
                ((Birth.mother == drop.id) | (Birth.father == drop.id) | (Birth.child == drop.id))
                & (Birth.deleted == False)
            ):
                if b.mother_id == drop.id:  # a birth is recorded in the mother's household (section 四)
                    b.mother, b.household = keep.id, keep.household_id
                if b.father_id == drop.id:
                    b.father = keep.id
                if b.child_id == drop.id:
                    b.child, b.child_name = keep.id, keep.name
                if b.father_id and Person.get_by_id(b.father_id).household_id != b.household_id:
                    father = Person.get_by_id(b.father_id)  # a father outside the household is written by name
                    b.father, b.father_name, b.father_id_number = None, father.name, father.id_number
                audit.save(b, reason=reason, operator=operator)
                moved += 1
            for g in Migration.select().where((Migration.person == drop.id) & (Migration.deleted == False)):
                g.person = keep.id
                audit.save(g, reason=reason, operator=operator)
                moved += 1
            has_page = WomanFP.select().where((WomanFP.person == keep.id) & (WomanFP.deleted == False)).exists()
            for w in WomanFP.select().where((WomanFP.person == drop.id) & (WomanFP.deleted == False)):
                if has_page:
                    audit.tombstone(w, reason=reason, operator=operator)
                else:
                    w.person = keep.id
                    audit.save(w, reason=reason, operator=operator)
                    moved += 1
            for name in FILLABLE:
                if not getattr(keep, name) and getattr(drop, name):
                    setattr(keep, name, getattr(drop, name))
                    filled.append(name)
            if "id_number" in filled:
                keep.id_number_18, keep.id_check = drop.id_number_18, drop.id_check
            if "birth_date" in filled:
                keep.birth_date_prec = drop.birth_date_prec
            audit.save(keep, reason=reason, operator=operator)
            audit.tombstone(drop, reason=reason, operator=operator)
            household_removed = not others.exists()
            if household_removed:
                audit.tombstone(drop.household, reason=reason, operator=operator)
            index_persons([keep, drop])
            decide_pair(keep.uid, drop.uid, "same", who=operator or "", note=note or "合并")
    except audit.NotOwner as exc:
        raise MergeRefused(
            f"有记录属于别的单位，不能在本库合并（{exc}）："
            "请发协查由登记单位处理（hecha assist new --duplicate 甲uid 乙uid）"
        ) from None
    return Merged(keep.uid, moved, tuple(filled), household_removed)


# ---------------------------------------------------------------------------- reference records
def ref_candidates(
    id_number: str = "",
    *,
    name: str = "",
    sex: str = "",
    birth_date: dt.date | None = None,
    mother_id_number: str = "",
    person_uid: str | None = None,
    limit: int = 10,
    min_score: int = 0,
) -> list[Candidate]:
    """Records of the imported reference lists (公安户籍, 出生医学证明 …) that may be the person
    described, best first: the same ID number, a homophone name with the same (or swapped) birth
    date, a name one character off on the same day, or the mother's ID number with a birth date
    within 5 days. A hit here says the person is on an outside list (the form shows it; it does not
    hold a save). A candidate's ``person_uid`` is ``ref:<record id>``, ``source`` names the list and
    ``differs`` the fields (``name``, ``id_number``, ``birth_date``, ``sex``) that differ from the ones
    given; records decided "different" from ``person_uid`` (the person searched from) are left out.
    At most ``limit``, scoring at least ``min_score``."""
    from .models import ImportBatch, RefRecord
    from .sources.profiles import profiles

    info = idnumber.parse(id_number) if id_number else None
    born = birth_date or (info.birth_date if info and info.birth_date else None)
    sex = sex or ((info.sex or "") if info and info.ok else "")  # a valid number always gives a sex
    keys = name_keys(name) if name and not unnamed_child(name) else None
    live = ImportBatch.status == "active"
    found: dict[int, dict[str, int]] = {}

    def hit(rid: int, rule: str, score: int) -> None:
        rules = found.setdefault(rid, {})
        rules[rule] = max(score, rules.get(rule, 0))

    base = RefRecord.select(RefRecord.id).join(ImportBatch)
    if info and len(info.number_18 or info.number) == 18:
        # a number a spreadsheet cut to 15 digits, on either side (candidates())
        number = info.number_18 or info.number
        for rid, theirs in RefRecord._meta.database.execute_sql(
            """SELECT r.id, r.id_number_18 FROM ref_record r JOIN import_batch b ON b.id = r.batch_id
               WHERE r.id_number_18 >= ? AND r.id_number_18 < ? AND b.status = 'active'""",
            (number[:15], number[:15] + "~"),
        ):
            if matchmodel.cut_alike(number, theirs):
                hit(rid, RULE_ID_EDIT, 85)
    if info and info.number_18:
        for rid, their_name, theirs in (
            base.select(RefRecord.id, RefRecord.name, RefRecord.birth_date)
            .where((RefRecord.id_number_18 == info.number_18) & live)
            .tuples()
        ):
            # as for persons: another name and another birth date is most often a child given a parent's number
            other = (
                keys
                and their_name
                and name_keys(their_name).homophone_keys != keys.homophone_keys
                and born
                and theirs
                and theirs != born.isoformat()
            )
            hit(rid, RULE_SAME_ID, 60 if other else 100)
    if keys and born:
        run = RefRecord._meta.database.execute_sql
        marks = ", ".join("?" * len(keys.homophone_keys))
        bearers = run(
            f"SELECT count(*) FROM (SELECT 1 FROM ref_key WHERE kind = 'h' AND key IN ({marks}) LIMIT ?)",
            [*keys.homophone_keys, KEY_DRIVEN + 1],
        )
        if bearers.fetchone()[0] <= KEY_DRIVEN:  # few bear the name: by the key, at any date (candidates())
            rows = run(
                f"""SELECT r.id, r.birth_date, r.name FROM ref_key k JOIN ref_record r ON r.id = k.record_id
                    JOIN import_batch b ON b.id = r.batch_id
                    WHERE k.kind = 'h' AND k.key IN ({marks}) AND b.status = 'active'""",
                keys.homophone_keys,
            )
        else:  # a common name: from the near dates, not the key
            where, params = _near_dates(born, DAYS_NEAR_COMMON)
            rows = run(
                f"""SELECT r.id, r.birth_date, r.name FROM ref_record r JOIN ref_key k ON k.record_id = r.id
                    JOIN import_batch b ON b.id = r.batch_id
                    WHERE {where.replace("p.birth_date", "r.birth_date")} AND b.status = 'active'
                      AND k.kind = 'h' AND +k.key IN ({marks})""",
                [*params, *keys.homophone_keys],
            )
        for rid, theirs, _their_name in rows:
            if compare_dates(born, _date(theirs))[0] not in (None, "other"):
                hit(rid, RULE_HOMOPHONE, 85)
        for rid, their_name in (
            base.select(RefRecord.id, RefRecord.name).where((RefRecord.birth_date == born.isoformat()) & live).tuples()
        ):
            if their_name and one_char_apart(keys.simplified, name_keys(their_name).simplified):
                hit(rid, RULE_NAME_SIMILAR, 75)
    mother = idnumber.parse(mother_id_number) if mother_id_number else None
    if mother and mother.number_18 and born:
        lo, hi = days_around(born, DAYS_MOTHER)
        rows = (
            base.select(RefRecord.id)
            .where(
                RefRecord.mother_id_number.in_({mother.number, mother.number_18} - {""})
                & (RefRecord.birth_date >= lo)
                & (RefRecord.birth_date <= hi)
                & live
            )
            .tuples()
        )
        for (rid,) in rows:
            hit(rid, RULE_MOTHER, 75)
    if not found:
        return []
    sources, _ = profiles()
    different = _decided_different(person_uid)
    out = []
    ids = list(found)
    run = RefRecord._meta.database.execute_sql
    rows = run(  # the columns needed, in plain SQL (see candidates())
        f"""SELECT r.id, r.source, r.name, r.id_number, r.id_number_18, r.sex, r.birth_date, r.row_no, b.file_name,
                   r.id_check, r.mother_id_number
            FROM ref_record r JOIN import_batch b ON b.id = r.batch_id WHERE r.id IN ({", ".join("?" * len(ids))})""",
        ids,
    )
    weigh = _Weigher(
        run, "ref_record", keys, born, info, sex, mother.number_18 if mother else "", frozenset({person_uid or ""})
    )
    for (
        rid,
        source,
        their_name,
        number,
        number_18,
        their_sex,
        their_born,
        row_no,
        file_name,
        check,
        their_mother,
    ) in rows:
        if f"ref:{rid}" in different:
            continue
        rules = found[rid]
        best = max(rules, key=rules.__getitem__)
        score, why, levels = weigh(their_name, number, number_18, check, their_born, their_sex, their_mother)
        if "id:two_valid" in levels and "name:exact" not in levels and twin_numbers(weigh.mine, number_18):
            continue  # a twin (candidates())
        list_name = sources.get(source, source)
        differs = _differs(keys, info, born, sex, their_name, number, number_18, their_born, their_sex)
        out.append(
            Candidate(
                person_uid=f"ref:{rid}",
                name=their_name,
                id_number=number,
                sex=their_sex,
                birth_date=their_born,
                household_code="",
                household_uid="",
                village_name=f"{list_name} {file_name} 第{row_no}行",
                rule=best,
                differs=differs,
                score=score,
                rules=tuple(sorted(rules, key=rules.__getitem__, reverse=True)),
                source=list_name,
                why=why,
                levels=levels,
            )
        )
    out.sort(key=lambda c: -c.score)
    return [c for c in out if c.score >= min_score][:limit]
