"""Domain errors. Services raise them; each layer above maps them once (LINE body, form message)."""

from __future__ import annotations

from dataclasses import dataclass, field


class DomainError(Exception):
    """Base of every error a person may see; ``message`` is written for them."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class FieldError:
    field: str
    message: str


class Invalid(DomainError):
    """Input that breaks a rule; names each field at fault."""

    status = 400

    def __init__(self, errors: list[FieldError] | FieldError | None = None, message: str | None = None,
                 *, field: str | None = None, reason: str | None = None) -> None:
        if field is not None:
            errors = [FieldError(field, reason or "is invalid")]
        if isinstance(errors, FieldError):
            errors = [errors]
        self.errors: list[FieldError] = list(errors or [])
        super().__init__(message or (self.errors[0].message if len(self.errors) == 1
                                     else f"The request has {len(self.errors)} error(s)"))

    def by_field(self) -> dict[str, str]:
        return {e.field: e.message for e in self.errors}


class Conflict(Invalid):
    """The thing already exists or was already done (duplicate email, friend twice)."""

    status = 409


class NotFound(DomainError):
    """Missing, or not visible to this actor: outsiders never learn a thing exists."""

    status = 404

    def __init__(self, message: str = "Not found") -> None:
        super().__init__(message)


class NotAllowed(DomainError):
    """The actor is known but their role or the account's package/badge withholds this."""

    status = 403


class Unauthenticated(DomainError):
    status = 401

    def __init__(self, message: str = "Please log in") -> None:
        super().__init__(message)


class RateLimited(DomainError):
    status = 429

    def __init__(self, retry_after: int, message: str = "Too many attempts; try again later") -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass
class ErrorBody:
    """The LINE error body shape, used by every JSON endpoint."""

    message: str
    details: list[dict[str, str]] = field(default_factory=list)


def error_body(error: DomainError) -> dict[str, object]:
    """LINE's ``{"message", "details": [{"message", "property"}]}`` for a domain error."""
    body: dict[str, object] = {"message": error.message}
    errors: list[FieldError] = getattr(error, "errors", None) or []
    if errors:
        body["details"] = [{"message": e.message, "property": e.field} for e in errors]
    return body
