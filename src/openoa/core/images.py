"""Uploaded pictures: check they are images within limits and re-encode them (drops metadata)."""

from __future__ import annotations

import io

from PIL import Image, UnidentifiedImageError

from openoa.core.errors import Invalid

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
PROFILE_SIZE = 640
ALLOWED_FORMATS = {"PNG", "JPEG", "GIF", "WEBP"}


def profile_image(data: bytes, *, field: str = "image") -> bytes:
    """A square-bounded PNG from an uploaded image; refuses non-images and oversized files."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise Invalid(field=field, reason=f"The image is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB.")
    if not data:
        raise Invalid(field=field, reason="The file is empty.")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format
            probe.verify()
        if fmt not in ALLOWED_FORMATS:
            raise Invalid(field=field, reason="Upload a PNG, JPEG, GIF or WebP image.")
        with Image.open(io.BytesIO(data)) as img:
            if img.width * img.height > 40_000_000:
                raise Invalid(field=field, reason="The image has too many pixels.")
            img = img.convert("RGBA")
            img.thumbnail((PROFILE_SIZE, PROFILE_SIZE))
            out = io.BytesIO()
            img.save(out, format="PNG", optimize=True)
            return out.getvalue()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise Invalid(field=field, reason="This file is not an image we can read.") from exc
