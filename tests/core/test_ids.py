"""Identifier formats: every ID the platform hands out comes from core.ids."""

from __future__ import annotations

import re

from openoa.core import ids


def test_r_frd_05_scoped_user_id_is_u_and_32_lowercase_hex() -> None:
    made = {ids.scoped_user_id() for _ in range(500)}
    assert all(re.fullmatch(r"U[0-9a-f]{32}", value) for value in made)
    assert len(made) == 500


def test_r_acc_02_basic_id_is_at_three_digits_five_lowercase_letters() -> None:
    made = [ids.basic_id() for _ in range(500)]
    assert all(re.fullmatch(r"@[0-9]{3}[a-z]{5}", value) for value in made)
    assert len(set(made)) > 490  # random, not a counter


def test_provider_ids_are_opaque_and_distinct() -> None:
    made = {ids.provider_id() for _ in range(200)}
    assert len(made) == 200
    assert all(re.fullmatch(r"P[0-9a-f]{16}", value) for value in made)


def test_tokens_are_url_safe_and_long_enough_to_be_unguessable() -> None:
    made = {ids.token() for _ in range(200)}
    assert len(made) == 200
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{43}", value) for value in made)  # 32 random bytes


def test_reference_numbers_and_request_ids_have_their_shapes() -> None:
    assert re.fullmatch(r"VA-[0-9]{10}", ids.reference_number())
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", ids.request_id())
    assert ids.worker_id() != ids.worker_id()
