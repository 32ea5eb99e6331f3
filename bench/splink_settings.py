"""The Splink settings hecha's duplicate search is measured against (issue 5), published here.

Splink (https://github.com/moj-analytical-services/splink) is a Fellegi-Sunter linker; this is a
careful set-up for Chinese person records as a peer would tune it for this data, with what hecha's
name keys give it as inputs (simplified name, surname pinyin, given-name pinyin) so that the
comparison is of the linking method, not of pinyin: exact surname reading, Jaro-Winkler on the
given name's pinyin, the birth date with day/month swaps and near dates, sex, and the ID number as
an exact match only (no edit-distance level, as the issue asks). Blocking on the ID number, on the
birth date, and on surname + given-name pinyin.
"""

from __future__ import annotations


def settings():
    """A ``SettingsCreator`` for linking probe records (``source_dataset`` probes) to persons."""
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    return SettingsCreator(
        link_type="link_only",
        unique_id_column_name="unique_id",
        comparisons=[
            cl.ExactMatch("name").configure(term_frequency_adjustments=True),
            cl.ExactMatch("surname_pinyin"),
            cl.JaroWinklerAtThresholds("given_pinyin", [0.95, 0.88]),
            cl.DateOfBirthComparison(
                "birth_date", input_is_string=True, datetime_metrics=["month", "year"], datetime_thresholds=[1, 1]
            ),
            cl.ExactMatch("sex"),
            cl.ExactMatch("id_number"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("id_number"),
            block_on("birth_date"),
            block_on("surname_pinyin", "given_pinyin"),
        ],
        retain_intermediate_calculation_columns=False,
    )


TRAINING_BLOCKS = (("birth_date",), ("id_number",), ("surname_pinyin", "given_pinyin"))
"""Blocking rules for expectation maximisation, each leaving the others' fields free to learn."""
