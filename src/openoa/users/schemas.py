"""What the Chat app shows and accepts about a person."""

from __future__ import annotations

from pydantic import BaseModel, Field


class UserOut(BaseModel):
    id: int
    display_name: str
    status_message: str
    profile_image_url: str | None = None
    email: str | None = None
    gender: str | None = None
    birth_year: int | None = None
    area: str | None = None
    os: str | None = None


class SignUp(BaseModel):
    email: str = Field(description="Login email")
    password: str
    display_name: str


class LogIn(BaseModel):
    email: str
    password: str


class ProfileUpdate(BaseModel):
    display_name: str | None = None
    status_message: str | None = None
    gender: str | None = Field(default=None, description="male | female | '' to clear")
    birth_year: int | None = None
    area: str | None = None
    os: str | None = None
