"""Password and token hashing (R-ACC-01: passwords are stored only as slow hashes)."""

from __future__ import annotations

from openoa.core.security import hash_password, hash_token, sign, signatures_match, verify_password


def test_r_acc_01_password_hash_is_argon2id_and_never_the_password() -> None:
    hashed = hash_password("correct-horse-9")
    assert hashed != "correct-horse-9"
    assert "correct-horse-9" not in hashed
    assert hashed.startswith("$argon2id$")


def test_r_acc_01_same_password_hashes_differently_each_time() -> None:
    assert hash_password("correct-horse-9") != hash_password("correct-horse-9")


def test_verify_accepts_the_password_and_refuses_anything_else() -> None:
    hashed = hash_password("correct-horse-9")
    assert verify_password(hashed, "correct-horse-9") is True
    assert verify_password(hashed, "correct-horse-8") is False
    assert verify_password(hashed, "") is False
    assert verify_password(hashed, "CORRECT-HORSE-9") is False


def test_verify_without_a_hash_or_with_a_broken_one_is_false() -> None:
    assert verify_password(None, "correct-horse-9") is False
    assert verify_password(None, "openoa-timing-equaliser") is False  # the dummy hash never logs anyone in
    assert verify_password("not-a-hash", "correct-horse-9") is False


def test_token_hash_is_a_stable_sha256_that_hides_the_token() -> None:
    digest = hash_token("abc")
    assert digest == hash_token("abc") != hash_token("abd")
    assert len(digest) == 64 and "abc" not in digest


def test_signatures_depend_on_secret_and_value() -> None:
    signature = sign("secret", "value")
    assert signatures_match(signature, sign("secret", "value"))
    assert not signatures_match(signature, sign("other", "value"))
    assert not signatures_match(signature, sign("secret", "other"))


def test_r_acc_01_a_server_process_hashes_with_slow_argon2id_parameters() -> None:
    """The suite hashes cheaply; a real process must not (64 MiB, 3 passes, argon2id)."""
    import subprocess
    import sys

    code = "from openoa.core.security import hash_password; print(hash_password('pw-1234567'))"
    digest = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert digest.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
