"""Reconciliation (核查比对, DESIGN.md §7, issue 7): every birth of the ten-year window linked across
the sources the office has, and what the links say.

Sources and their groups: the household forms (``forms``: :class:`~storage.models.Birth` rows), the
population database export (``wis``), health (``birth_cert``, ``delivery``, ``vaccination``),
education (``kindergarten``, ``school``) and the police register (``police_hukou``); lists of other
kinds (GPL, temporary residents, marriages) hold no births. A list record is a birth when its birth
date lies in the window (a delivery list names the mother; its profile maps her to the mother's
columns).

Linking (:func:`link`) uses the duplicate search's keys, strongest first: the child's ID number (15
digits upgraded); the birth certificate number; the mother's ID number with a birth date within 5
days, the same sex and names that agree (homophone keys) or are missing (王芳之女 links through the
mother), or with the same name at any date (a roll with a wrong birth date); a homophone name born
within 3 days or with day and month swapped, mothers not different; a parent's name (mother,
father, a roll's 家长姓名) and a birth date within 3 days, with child names that agree, are one
character apart or one character short. Then the rules that survive one wrong key field (issue
12): the mother's ID with names that agree or are one character off and a date within 5 days,
across a differing sex, or with the same sex across a typical date slip (:func:`date_slip`: a
year, a month, a day of the same month, day/month swapped, a lunar date); the same name, sex and day across
different mothers (WIS listing the child under another woman); last, births already linked are
joined when the mother's ID, the name and the date come from different records of each, and a
certificate of a renamed child joins the one birth of that mother, day and sex
(:func:`_join_clusters`). A date to the month or year (a roll's 出生年月) is any day of its span.
One cluster holds at most one record of each source (a list lists a child once), which keeps twins
apart: each twin's records link among themselves, never across.

Findings (:func:`classify`):

- ``omission`` (疑似漏报): on the forms or a health, education or police list, not in WIS;
- ``false`` (疑似虚报): in WIS only, no other source confirms it;
- ``misreport`` (疑似错报): in WIS and elsewhere, but the birth date, sex, mother or 孩次 differ
  (:func:`compare`; where no other source carries 孩次, WIS's is questioned when it is lower than
  the mother's births before this one that the sources show, :class:`BirthOrders`);
- ``consistent`` (一致): in WIS and elsewhere, agreeing;
- ``elsewhere`` (外地出生): only on a birth certificate or delivery list, the mother's ID number
  neither of a person in this database nor of this county: born in the county's hospital, registered where the mother
  lives (a birth certificate counts the place of birth, WIS counts the mother's residence).

Each finding says why a non-match may be legitimate (born elsewhere, registered elsewhere, moved
away, died: a police register drops the dead; a school list only has children of school age).

The package, one job a module (issue 13): :mod:`.records` (the records of a window), :mod:`.link`,
:mod:`.classify`, :mod:`.runs`, :mod:`.visits` (conclusions), :mod:`.worklists`, :mod:`.summary`;
everything public is named here, so callers write ``reconcile.run`` as before.
"""

from __future__ import annotations

from .classify import DAY_SOURCES, MARGIN_DAYS, BirthOrders, birth_day, classify, compare, older_wis_births, shown_date
from .link import HEALTH_ONLY, date_slip, link, lunar_as_solar, solar_of_lunar
from .records import (
    CONCLUSIONS,
    DAYS_MOTHER,
    DAYS_NAME,
    FIELD_WORDS,
    GROUP_NAMES,
    GROUP_SHORT,
    KINDS,
    SOURCE_GROUP,
    SOURCE_NAMES,
    Finding,
    Rec,
    load_records,
    reference_date,
    stat_year,
    window,
)
from .runs import RunReport, changed_since, findings, last_run, run, short_code
from .summary import COUNT_HEADINGS, SummaryRow, by_year, set_annual, summary, total
from .visits import CORRECTABLE, FITS, ResultError, check_fits, conclusion_code, find, record_result
from .worklists import WORKLIST_HEADER, mask, worklist_rows

__all__ = [
    "BirthOrders",
    "CONCLUSIONS",
    "CORRECTABLE",
    "DAYS_MOTHER",
    "DAYS_NAME",
    "DAY_SOURCES",
    "FIELD_WORDS",
    "FITS",
    "Finding",
    "GROUP_NAMES",
    "GROUP_SHORT",
    "HEALTH_ONLY",
    "KINDS",
    "MARGIN_DAYS",
    "Rec",
    "ResultError",
    "RunReport",
    "SOURCE_GROUP",
    "SOURCE_NAMES",
    "SummaryRow",
    "COUNT_HEADINGS",
    "WORKLIST_HEADER",
    "birth_day",
    "by_year",
    "check_fits",
    "classify",
    "compare",
    "conclusion_code",
    "date_slip",
    "find",
    "findings",
    "last_run",
    "link",
    "load_records",
    "lunar_as_solar",
    "mask",
    "changed_since",
    "older_wis_births",
    "record_result",
    "reference_date",
    "run",
    "set_annual",
    "short_code",
    "shown_date",
    "solar_of_lunar",
    "stat_year",
    "summary",
    "total",
    "window",
    "worklist_rows",
]
