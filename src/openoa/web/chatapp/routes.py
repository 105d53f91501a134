"""Routes of the chatapp surface (pages and their JSON endpoints)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from openoa.web import deps

router = APIRouter(dependencies=[Depends(deps.csrf_protect)])
