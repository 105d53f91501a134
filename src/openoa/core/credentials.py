"""Rules of every login (Business IDs, Chat-app people, staff): email shape and password strength."""

from __future__ import annotations

import re

PASSWORD_MIN = 8
PASSWORD_MAX = 128
_COMMON = {"password", "12345678", "123456789", "qwertyui", "11111111", "iloveyou", "password1",
           "abcdefgh", "letmein1", "00000000"}


def password_problem(password: str) -> str | None:
    """Why ``password`` is too weak, or None when it is acceptable."""
    if len(password) < PASSWORD_MIN:
        return f"Use at least {PASSWORD_MIN} characters."
    if len(password) > PASSWORD_MAX:
        return f"Use at most {PASSWORD_MAX} characters."
    if password.lower() in _COMMON:
        return "This password is too common; choose another."
    if not (re.search(r"[A-Za-z]", password) and re.search(r"[0-9\W_]", password)):
        return "Mix letters with digits or symbols."
    return None


def normalise_email(email: str) -> str:
    return email.strip().lower()


_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


def email_problem(email: str) -> str | None:
    if not email:
        return "Enter your email address."
    if len(email) > 254 or not _EMAIL.match(email):
        return "Enter a valid email address, like name@example.com."
    return None
