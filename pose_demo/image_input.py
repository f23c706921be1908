"""Turning whatever a user gives (bytes, a path, an array) into a BGR uint8 image, or a clear error.

Handles grayscale, RGBA (composited on white), 16-bit and float images, EXIF orientation, and
refuses decompression bombs before decoding them.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps

from pose_demo.i18n import UserError

MAX_PIXELS = 50_000_000  # 50 megapixels; larger images are refused before decoding


class ImageInputError(UserError, ValueError):
    """The input is not a usable image. The message says what was wrong and what to do."""


def load_image(
    source: bytes | str | os.PathLike[str] | np.ndarray, max_pixels: int = MAX_PIXELS
) -> np.ndarray:
    """Return an (H, W, 3) BGR uint8 image from encoded bytes, a file path or an array.

    Arrays are taken as BGR (OpenCV's order) when they have 3 channels, BGRA with 4.
    """
    if isinstance(source, np.ndarray):
        return to_bgr8(source, max_pixels)
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise ImageInputError("error.image.no_file", path=path)
        source = path.read_bytes()
    return decode_image(source, max_pixels)


def decode_image(data: bytes, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Decode image bytes (JPEG, PNG, WebP, BMP, TIFF...) honouring EXIF orientation."""
    if not data:
        raise ImageInputError("error.image.empty")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            width, height, mode, fmt = *probe.size, probe.mode, probe.format
    except Image.DecompressionBombError as e:  # Pillow's own bound, far above the app's: say the app's
        raise ImageInputError("error.image.bomb", megapixels=max_pixels / 1e6) from e
    except (Image.UnidentifiedImageError, OSError, ValueError) as e:
        raise ImageInputError("error.image.unreadable") from e
    _check_size(width, height, max_pixels)
    # Pillow converts alpha, palette and 16/32-bit modes, and decodes strictly a JPEG that lacks
    # its end marker (cv2 would silently return a half-grey picture); OpenCV does the rest, faster.
    truncated_jpeg = fmt == "JPEG" and b"\xff\xd9" not in data[-4096:]
    image = None
    if not ("A" in mode or mode in ("P", "I", "F") or truncated_jpeg):
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR | cv2.IMREAD_ANYDEPTH)
    if image is not None:
        return to_bgr8(image, max_pixels)
    try:
        with Image.open(io.BytesIO(data)) as img:
            return to_bgr8(_pil_to_array(ImageOps.exif_transpose(img)), max_pixels, rgb=True)
    except OSError as e:
        raise ImageInputError("error.image.truncated") from e


def _pil_to_array(img: Image.Image) -> np.ndarray:
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        return np.asarray(img)
    if "A" in img.mode or (img.mode == "P" and "transparency" in img.info):
        return np.asarray(img.convert("RGBA"))
    return np.asarray(img.convert("RGB"))


def _check_size(width: int, height: int, max_pixels: int) -> None:
    if width < 1 or height < 1:
        raise ImageInputError("error.image.no_pixels")
    if width * height > max_pixels:
        raise ImageInputError(
            "error.image.too_large",
            width=width,
            height=height,
            pixels=width * height,
            limit=max_pixels,
            megapixels=max_pixels / 1e6,
        )


def to_bgr8(image: np.ndarray, max_pixels: int = MAX_PIXELS, rgb: bool = False) -> np.ndarray:
    """Normalise an array to (H, W, 3) uint8 BGR. ``rgb`` says the channels are RGB(A)."""
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (3, 4)):
        raise ImageInputError("error.image.bad_shape", shape=image.shape)
    _check_size(image.shape[1], image.shape[0], max_pixels)
    image = _to_uint8(image)
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        alpha = image[..., 3:4].astype(np.float32) / 255
        color = image[..., :3].astype(np.float32) * alpha + 255 * (1 - alpha)  # on white
        image = color.round().astype(np.uint8)
    return np.ascontiguousarray(image[..., ::-1] if rgb else image)


def _to_uint8(image: np.ndarray) -> np.ndarray:
    if image.dtype == np.uint8:
        return image
    if image.dtype == np.uint16:
        return (image >> 8).astype(np.uint8)
    if image.dtype.kind == "f":
        scale = 255.0 if np.nanmax(image) <= 1.0 else 1.0
        return np.clip(np.nan_to_num(image) * scale, 0, 255).round().astype(np.uint8)
    if image.dtype.kind in "iu":
        top = max(int(image.max()), 1)
        return (image.astype(np.float64) * (255 / top) if top > 255 else image).astype(np.uint8)
    if image.dtype == bool:
        return image.astype(np.uint8) * 255
    raise ImageInputError("error.image.pixel_type", dtype=image.dtype)
