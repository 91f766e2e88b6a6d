"""A PNG file written band by band, so a huge picture never exists whole in memory.

OpenCV and PIL encode a PNG from one complete array; for a 200-megapixel photo the colour
mask alone is 600 MB. The format itself is a zlib stream of rows, so it can be written as
the rows are produced: :class:`StreamingPNGWriter` keeps one compressor and emits ``IDAT``
chunks as they fill. Output decodes to exactly the array that was written (tested against
``cv2.imread``).
"""
from __future__ import annotations

import os
import struct
import zlib
from typing import Optional

import numpy as np

PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'
#: PNG colour types by channel count: grey, RGB.
_COLOUR_TYPES = {1: 0, 3: 2}
#: Compressed bytes buffered before an IDAT chunk is written.
_CHUNK_BYTES = 1 << 20


class StreamingPNGWriter:
    """Write an 8- or 16-bit grey or RGB PNG one band of rows at a time.

    Rows are filtered with PNG's 'Sub' filter (difference to the pixel on the left), which
    turns flat colour masks into runs of zeros. The file appears under its name only when
    complete (written to ``<path>.tmp``, then renamed), so an interrupted run leaves no
    truncated picture behind.

    Args:
        path (str): Output file.
        width (int): Picture width in pixels.
        height (int): Picture height in pixels.
        channels (int): 1 (grey) or 3 (RGB; rows given in RGB order).
        dtype: ``np.uint8`` or ``np.uint16``.
        level (int): zlib compression level (1 = fast, as OpenCV's default).

    Example:
        >>> with StreamingPNGWriter('x.png', 4, 2, channels=1) as png:
        ...     png.write_rows(np.zeros((2, 4), np.uint8))
    """

    def __init__(self, path: str, width: int, height: int, channels: int = 3,
                 dtype=np.uint8, level: int = 1) -> None:
        if channels not in _COLOUR_TYPES:
            raise ValueError(f'channels must be 1 or 3, got {channels}')
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.uint8, np.uint16):
            raise ValueError(f'dtype must be uint8 or uint16, got {self.dtype}')
        if width < 1 or height < 1:
            raise ValueError(f'a PNG needs at least one pixel, got {width} x {height}')
        self.path, self.width, self.height, self.channels = path, width, height, channels
        self.rows_written = 0
        self._bpp = channels * self.dtype.itemsize  # bytes per pixel, the Sub filter's step
        self._compressor = zlib.compressobj(level)
        self._pending = bytearray()
        self._tmp = f'{path}.tmp'
        self._file: Optional[object] = open(self._tmp, 'wb')
        self._file.write(PNG_SIGNATURE)
        self._chunk(b'IHDR', struct.pack('>IIBBBBB', width, height, 8 * self.dtype.itemsize,
                                         _COLOUR_TYPES[channels], 0, 0, 0))

    def write_rows(self, rows: np.ndarray) -> None:
        """Append rows: (n, W) for grey, (n, W, 3) for RGB, of the writer's dtype."""
        expected = (self.width, ) if self.channels == 1 else (self.width, self.channels)
        if rows.shape[1:] != expected or rows.dtype != self.dtype:
            raise ValueError(f'{self.path}: rows of shape {rows.shape[1:]} {rows.dtype}, '
                             f'the picture takes {expected} {self.dtype}')
        if self.rows_written + len(rows) > self.height:
            raise ValueError(f'{self.path}: {self.rows_written + len(rows)} rows written, the '
                             f'picture has {self.height}')
        raw = np.ascontiguousarray(rows, dtype=self.dtype.newbyteorder('>')).view(np.uint8)
        raw = raw.reshape(len(rows), -1)
        filtered = np.empty((len(rows), raw.shape[1] + 1), np.uint8)
        filtered[:, 0] = 1  # filter type 'Sub'
        filtered[:, 1:self._bpp + 1] = raw[:, :self._bpp]
        np.subtract(raw[:, self._bpp:], raw[:, :-self._bpp], out=filtered[:, self._bpp + 1:])
        self._pending += self._compressor.compress(filtered.tobytes())
        self.rows_written += len(rows)
        if len(self._pending) >= _CHUNK_BYTES:
            self._flush()

    def close(self) -> None:
        """Finish the file; refuse a picture with missing rows."""
        if self._file is None:
            return
        if self.rows_written != self.height:
            self.abort()
            raise ValueError(f'{self.path}: {self.rows_written} of {self.height} rows written')
        self._pending += self._compressor.flush()
        self._flush()
        self._chunk(b'IEND', b'')
        self._file.close()
        self._file = None
        os.replace(self._tmp, self.path)

    def abort(self) -> None:
        """Drop the unfinished file."""
        if self._file is not None:
            self._file.close()
            self._file = None
            if os.path.exists(self._tmp):
                os.remove(self._tmp)

    def __enter__(self) -> 'StreamingPNGWriter':
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def _flush(self) -> None:
        if self._pending:
            self._chunk(b'IDAT', bytes(self._pending))
            self._pending.clear()

    def _chunk(self, kind: bytes, data: bytes) -> None:
        self._file.write(struct.pack('>I', len(data)) + kind + data +
                         struct.pack('>I', zlib.crc32(kind + data) & 0xFFFFFFFF))


__all__ = ['StreamingPNGWriter']
