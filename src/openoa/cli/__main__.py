"""``python -m openoa.cli``: the same as the ``openoa`` console script."""

from openoa.cli.main import app

app(prog_name="openoa")
