import datetime as dt

import pytest

from storage import idnumber


@pytest.mark.parametrize(
    "number,status,born,sex",
    [
        ("11010519491231002X", "ok", dt.date(1949, 12, 31), "2"),  # DATA.md example, check character X
        ("360426199101010071", "ok", dt.date(1991, 1, 1), "1"),
        ("130123198503140036", "ok", dt.date(1985, 3, 14), "1"),
        ("11010519491231002x", "ok", dt.date(1949, 12, 31), "2"),  # lower-case x accepted
        ("130123198503140037", "bad_checksum", dt.date(1985, 3, 14), "1"),
        ("130123198502300036", "bad_date", None, "1"),  # 30 February
        ("130123203001010036", "bad_date", None, "1"),  # in the future
        ("990123198503140036", "unknown_region", dt.date(1985, 3, 14), "1"),
        ("13012319850314003", "bad_format", None, None),
        ("", "missing", None, None),
        ("110105491231002", "legacy15", dt.date(1949, 12, 31), "2"),
    ],
)
def test_parse(number, status, born, sex):
    info = idnumber.parse(number, today=dt.date(2026, 11, 29))
    assert info.status == status
    assert info.birth_date == born
    assert info.sex == sex


def test_upgrade15_gives_the_18_digit_number():
    assert idnumber.upgrade15("110105491231002") == "11010519491231002X"
    assert idnumber.parse("110105491231002").number_18 == "11010519491231002X"


def test_check_char_weights_and_mapping():
    # GB 11643-1999: sum of weighted digits mod 11 → "10X98765432"
    assert idnumber.check_char("11010519491231002") == "X"
    assert idnumber.check_char("36042619910101007") == "1"
    with pytest.raises(ValueError):
        idnumber.check_char("1234")


def test_make_builds_valid_numbers_with_the_sex_in_the_sequence():
    n = idnumber.make("130123", dt.date(2017, 3, 6), 2)
    assert n == "130123201703060027"
    assert idnumber.parse(n).ok and idnumber.parse(n).sex == "2"


def test_worklists_mask_ids_that_the_printed_date_would_rebuild():
    """Issue 14: county code + a printed birth date + the last four characters rebuild a number, so
    a number printed beside its holder's birth date is hidden whole; others keep only the last four."""
    from storage.idnumber import mask

    number = "130123198707220046"
    assert mask(number) == "*" * 14 + "0046"
    assert mask(number, date_shown=True) == "*" * 18
    assert mask("") == "" and mask("0046") == "0046"
