"""Pure rules of Chat-app people (R-FRD-01): profile limits, birth years, age bands."""

from __future__ import annotations

import pytest

from openoa.users import rules


def test_r_frd_01_birth_year_this_year_is_allowed_next_year_is_not() -> None:
    assert rules.birth_year_problem(2026, 2026) is None
    assert rules.birth_year_problem(2027, 2026) == "The birth year cannot be in the future."


def test_r_frd_01_birth_year_at_most_120_years_ago() -> None:
    assert rules.birth_year_problem(2026 - 120, 2026) is None
    problem = rules.birth_year_problem(2026 - 121, 2026)
    assert problem is not None and "1906" in problem


def test_r_frd_01_the_limits_move_with_the_year() -> None:
    # On 31 December a person born next year is impossible; a day later they are a newborn.
    assert rules.birth_year_problem(2027, 2026) is not None
    assert rules.birth_year_problem(2027, 2027) is None
    assert rules.birth_year_problem(1906, 2026) is None
    assert rules.birth_year_problem(1906, 2027) is not None


@pytest.mark.parametrize(("age", "band"), [
    (0, "from0to14"), (14, "from0to14"), (15, "from15to19"), (19, "from15to19"), (20, "from20to24"),
    (24, "from20to24"), (25, "from25to29"), (49, "from45to49"), (50, "from50to54"),
    (65, "from65to69"), (69, "from65to69"), (70, "from70"), (120, "from70"),
])
def test_r_frd_01_birth_year_gives_the_line_age_band(age: int, band: str) -> None:
    assert rules.age_band(2026 - age, 2026) == band


def test_r_frd_01_unknown_birth_year_is_the_unknown_band() -> None:
    assert rules.age_band(None, 2026) == "unknown"


@pytest.mark.parametrize(("name", "ok"), [
    ("Somchai", True), ("S" * 20, True), ("S" * 21, False), ("", False), ("  ", False),
])
def test_r_frd_01_display_name_is_required_and_at_most_20_characters(name: str, ok: bool) -> None:
    assert (rules.display_name_problem(name) is None) is ok


def test_r_frd_01_private_attribute_choices() -> None:
    assert set(rules.Gender) == {"male", "female"}
    assert set(rules.PhoneOs) == {"ios", "android", "other"}
    assert rules.AREAS["th_01"] == "Bangkok"
    assert all(code.split("_")[0] in {"th", "jp", "tw", "id"} for code in rules.AREAS)
