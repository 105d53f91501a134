"""Who is acting. Every service takes an actor first and scopes what it reads by it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BusinessActor:
    """A person logged in to the Manager console with a Business ID."""

    business_id: int


@dataclass(frozen=True)
class PersonActor:
    """A person logged in to the Chat app."""

    user_id: int


@dataclass(frozen=True)
class StaffActor:
    """Platform staff, logged in to the Staff console."""

    staff_id: int


@dataclass(frozen=True)
class SystemActor:
    """The operator at the command line (CLI scripting, demo data)."""


Actor = BusinessActor | PersonActor | StaffActor | SystemActor
SYSTEM = SystemActor()
