"""Rules of Chat-app people: profile limits and private attributes (R-FRD-01)."""

from __future__ import annotations

from enum import StrEnum


class Gender(StrEnum):
    MALE = "male"
    FEMALE = "female"


class PhoneOs(StrEnum):
    IOS = "ios"
    ANDROID = "android"
    OTHER = "other"


# LINE's area codes (narrowcast demographic filter): TH names shown, others by code.
THAI_AREAS = {
    "th_01": "Bangkok", "th_02": "Pattaya", "th_03": "Northern", "th_04": "Central",
    "th_05": "Southern", "th_06": "Eastern", "th_07": "Northeastern", "th_08": "Western",
}
AREAS: dict[str, str] = {
    **THAI_AREAS,
    **{f"jp_{n:02d}": f"Japan ({n:02d})" for n in range(1, 48)},
    **{f"tw_{n:02d}": f"Taiwan ({n:02d})" for n in range(1, 23)},
    **{f"id_{n:02d}": f"Indonesia ({n:02d})" for n in range(1, 13)},
}

DISPLAY_NAME_MAX = 20
STATUS_MESSAGE_MAX = 500
OLDEST_AGE = 120


def display_name_problem(name: str) -> str | None:
    if not name.strip():
        return "Enter a display name."
    if len(name.strip()) > DISPLAY_NAME_MAX:
        return f"Use at most {DISPLAY_NAME_MAX} characters."
    return None


def birth_year_problem(birth_year: int, current_year: int) -> str | None:
    """A birth year is impossible in the future or more than 120 years ago."""
    if birth_year > current_year:
        return "The birth year cannot be in the future."
    if birth_year < current_year - OLDEST_AGE:
        return f"The birth year cannot be before {current_year - OLDEST_AGE}."
    return None


# LINE's age bands: age_15 … age_70 in steps of 5 (narrowcast `age` filter).
AGE_BAND_EDGES = tuple(range(15, 75, 5))


def age(birth_year: int, current_year: int) -> int:
    return current_year - birth_year


def age_band(birth_year: int | None, current_year: int) -> str:
    """The LINE insight age band ("from20to24", "from70", "from0to14", "unknown")."""
    if birth_year is None:
        return "unknown"
    years = age(birth_year, current_year)
    if years < 15:
        return "from0to14"
    if years >= 70:
        return "from70"
    low = years - years % 5
    return f"from{low}to{low + 4}"
