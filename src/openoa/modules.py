"""The platform's domain modules: which define tables and which register jobs.

Core stays below the domains; this is the one place that names them all, for Alembic,
the tests and every process that runs jobs.
"""

from __future__ import annotations

import importlib

MODEL_MODULES = (
    "openoa.core.jobs",
    "openoa.core.ratelimit",
    "openoa.core.web_sessions",
    "openoa.users.models",
    "openoa.accounts.models",
    "openoa.friends.models",
    "openoa.trust.models",
    "openoa.channels.models",
    "openoa.webhooks.models",
    "openoa.messaging.models",
    "openoa.chat.models",
    "openoa.groups.models",
    "openoa.billing.models",
)
JOB_MODULES = ("openoa.integrations.mail", "openoa.webhooks.jobs", "openoa.messaging.jobs")


def import_all_models() -> None:
    """Register every table on ``Base.metadata``."""
    for name in MODEL_MODULES:
        importlib.import_module(name)


def load_job_modules() -> None:
    """Import every module that registers jobs, so a worker knows every job name."""
    for name in JOB_MODULES:
        importlib.import_module(name)
