"""Bad and unusual input to the library: each case gives a usable image or a clear error."""

from __future__ import annotations

import io
import struct
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image

from pose_demo import ImageInputError, UniModel, load_image
from tests.conftest import IMAGES

STANDING = IMAGES / "side_frame_squat_f0030_standing.jpg"


def png_bytes(array: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".png", array)
    assert ok
    return data.tobytes()


def test_empty_bytes() -> None:
    with pytest.raises(ImageInputError, match="empty"):
        load_image(b"")


def test_not_an_image() -> None:
    with pytest.raises(ImageInputError, match="not an image"):
        load_image(b"%PDF-1.4 this is a document, not a photo")


def test_truncated_jpeg() -> None:
    data = STANDING.read_bytes()
    for cut in (600, len(data) // 2):
        with pytest.raises(ImageInputError, match="damaged"):
            load_image(data[:cut])


def test_missing_file(tmp_path) -> None:
    with pytest.raises(ImageInputError, match="No image file"):
        load_image(tmp_path / "nope.jpg")


def test_one_pixel_image_runs_and_finds_nobody(fast_model: UniModel) -> None:
    image = load_image(png_bytes(np.full((1, 1, 3), 200, np.uint8)))
    assert image.shape == (1, 1, 3)
    assert fast_model.predict(image).persons == []


def test_grayscale_gives_three_equal_channels(fast_model: UniModel) -> None:
    gray = cv2.imread(str(STANDING), cv2.IMREAD_GRAYSCALE)
    image = load_image(png_bytes(gray))
    assert image.shape == (*gray.shape, 3)
    assert (image[..., 0] == gray).all() and (image[..., 2] == gray).all()
    assert len(fast_model.predict(image)) == 1
    assert load_image(gray[..., None]).shape == (*gray.shape, 3)  # (H, W, 1) arrays too


def test_rgba_is_composited_on_white() -> None:
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[..., 2] = 255  # blue, in RGBA order
    rgba[:2, :, 3] = 255  # top half opaque, bottom half transparent
    buffer = io.BytesIO()
    Image.fromarray(rgba).save(buffer, format="PNG")
    image = load_image(buffer.getvalue())
    assert image.shape == (4, 4, 3)
    assert image[0, 0].tolist() == [255, 0, 0]  # opaque blue, in BGR order
    assert image[3, 3].tolist() == [255, 255, 255]


def test_sixteen_bit_png(fast_model: UniModel) -> None:
    eight = cv2.imread(str(STANDING))
    sixteen = eight.astype(np.uint16) * 257
    image = load_image(png_bytes(sixteen))
    assert image.dtype == np.uint8
    assert np.abs(image.astype(int) - eight).max() <= 1
    assert len(fast_model.predict(image)) == 1
    assert load_image(sixteen).dtype == np.uint8  # arrays too


def test_float_array() -> None:
    image = load_image(np.full((8, 8, 3), 0.5, np.float32))
    assert image.dtype == np.uint8 and image[0, 0, 0] == 128


def test_decompression_bomb_refused_before_decoding() -> None:
    """A tiny PNG whose header claims 30000 x 30000 pixels."""
    ihdr = struct.pack(">IIBBBBB", 30000, 30000, 8, 0, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    header = (
        b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(ihdr)) + chunk + struct.pack(">I", zlib.crc32(chunk))
    )
    idat = b"IDAT" + zlib.compress(b"\x00" * 100)
    data = header + struct.pack(">I", len(idat) - 4) + idat + struct.pack(">I", zlib.crc32(idat))
    with pytest.raises(ImageInputError) as refused:
        load_image(data)
    assert (
        str(refused.value) == "The image has far more than 50 megapixels, the limit: resize it and try again."
    )


def png_header(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` x ``height`` grayscale pixels: enough for the size check, never decoded."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    header = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(ihdr)) + chunk
    header += struct.pack(">I", zlib.crc32(chunk))
    idat = b"IDAT" + zlib.compress(b"\x00" * 100)
    return header + struct.pack(">I", len(idat) - 4) + idat + struct.pack(">I", zlib.crc32(idat))


@pytest.mark.parametrize(
    ("width", "height", "pixels"), [(7100, 7100, "50,410,000"), (7072, 7072, "50,013,184")]
)
def test_too_many_pixels_message_does_not_contradict_itself(width: int, height: int, pixels: str) -> None:
    """Just over the limit, the message still shows a number larger than the limit."""
    with pytest.raises(ImageInputError) as error:
        load_image(png_header(width, height))
    assert f"{width}x{height} = {pixels} pixels; the limit is 50,000,000" in str(error.value)


def test_bad_array_shape() -> None:
    with pytest.raises(ImageInputError, match="shape"):
        load_image(np.zeros((5, 5, 2), np.uint8))


def test_exif_orientation_is_honoured() -> None:
    """A landscape JPEG stored with orientation 6 (rotate 90 deg clockwise) comes out portrait."""
    pixels = np.zeros((40, 80, 3), np.uint8)
    pixels[:, :10] = (0, 0, 255)  # a red stripe on the left edge (RGB for Pillow)
    pil = Image.fromarray(pixels[..., ::-1].copy())  # RGB (255, 0, 0) stripe on the left
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    pil.save(buffer, format="JPEG", exif=exif.tobytes(), quality=95)
    image = load_image(buffer.getvalue())
    assert image.shape == (80, 40, 3)
    top, bottom = image[:10].mean(axis=(0, 1)), image[-10:].mean(axis=(0, 1))
    assert top[2] > 200 and bottom[2] < 60  # rotated clockwise: the left edge is now at the top
