"""StreamingPNGWriter: band-by-band PNGs that decode to exactly what was written."""
import os

import cv2
import numpy as np
import pytest

from mmseg_semivl.apis import png_stream
from mmseg_semivl.apis.png_stream import StreamingPNGWriter


@pytest.mark.parametrize('channels, dtype', [(1, np.uint8), (1, np.uint16), (3, np.uint8)])
def test_bands_decode_to_the_written_array(tmp_path, monkeypatch, channels, dtype):
    monkeypatch.setattr(png_stream, '_CHUNK_BYTES', 64)  # many IDAT chunks
    rng = np.random.default_rng(0)
    shape = (37, 23) if channels == 1 else (37, 23, 3)
    high = 70000 if dtype == np.uint16 else 256
    array = rng.integers(0, high, size=shape).astype(dtype)
    path = str(tmp_path / 'x.png')
    with StreamingPNGWriter(path, 23, 37, channels, dtype) as png:
        for top in range(0, 37, 5):  # uneven last band
            png.write_rows(array[top:top + 5])
    decoded = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if channels == 3:
        decoded = decoded[..., ::-1]  # OpenCV reads BGR; the writer takes RGB
    assert decoded.dtype == dtype and np.array_equal(decoded, array)
    assert not os.path.exists(path + '.tmp')


def test_flat_masks_compress_well(tmp_path):
    path = str(tmp_path / 'flat.png')
    with StreamingPNGWriter(path, 1000, 1000) as png:
        png.write_rows(np.full((1000, 1000, 3), (128, 0, 64), np.uint8))
    assert os.path.getsize(path) < 20_000  # 3 MB of pixels; 'Sub' rows are all zeros


def test_missing_rows_or_an_error_leave_no_file(tmp_path):
    path = str(tmp_path / 'x.png')
    png = StreamingPNGWriter(path, 4, 3, channels=1)
    png.write_rows(np.zeros((2, 4), np.uint8))
    with pytest.raises(ValueError, match='2 of 3 rows written'):
        png.close()
    with pytest.raises(RuntimeError):
        with StreamingPNGWriter(path, 4, 3, channels=1) as png:
            png.write_rows(np.zeros((1, 4), np.uint8))
            raise RuntimeError('interrupted')
    assert os.listdir(tmp_path) == []


def test_wrong_rows_are_refused_with_the_file_name(tmp_path):
    path = str(tmp_path / 'x.png')
    with pytest.raises(ValueError, match=r"x.png: rows of shape \(5,\) uint8"):
        with StreamingPNGWriter(path, 4, 3, channels=1) as png:
            png.write_rows(np.zeros((1, 5), np.uint8))
    with pytest.raises(ValueError, match='4 rows written, the picture has 3'):
        with StreamingPNGWriter(path, 4, 3, channels=1) as png:
            png.write_rows(np.zeros((4, 4), np.uint8))
