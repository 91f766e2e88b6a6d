"""Finding and reading the images given to inference (files, folders, globs)."""
from __future__ import annotations

import glob
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import mmcv
import numpy as np

from ..datasets.unlabeled_folder import IMAGE_SUFFIXES


def _is_image(path: str) -> bool:
    return path.lower().endswith(IMAGE_SUFFIXES)


def collect_image_paths(inputs: Sequence[str]) -> List[str]:
    """Expand image files, folders and glob patterns into a list of image files.

    A folder contributes its image files (not its sub-folders), a pattern the
    image files it matches (``**`` recurses), both in sorted order; a file is taken
    as given. The same file named twice is kept once.

    Args:
        inputs (Sequence[str]): File paths, folder paths and glob patterns.

    Returns:
        list[str]: Image paths in input order.

    Raises:
        FileNotFoundError: A file or folder does not exist, a folder holds no
            image, or a pattern matches no image; the message names it.
    """
    paths: List[str] = []
    for item in inputs:
        if glob.has_magic(item):
            found = sorted(p for p in glob.glob(item, recursive=True)
                           if osp.isfile(p) and _is_image(p))
            if not found:
                raise FileNotFoundError(f"no image matches the pattern '{item}'")
        elif osp.isdir(item):
            found = sorted(
                osp.join(item, name) for name in os.listdir(item)
                if osp.isfile(osp.join(item, name)) and _is_image(name))
            if not found:
                raise FileNotFoundError(f"no image ({', '.join(IMAGE_SUFFIXES)}) in the "
                                        f"folder '{item}'")
        elif osp.isfile(item):
            found = [item]
        else:
            raise FileNotFoundError(f"input not found: '{item}' is no file, folder or "
                                    'matching pattern')
        paths.extend(found)
    unique: Dict[str, str] = {}
    for path in paths:
        unique.setdefault(osp.realpath(path), path)
    return list(unique.values())


def output_names(paths: Sequence[str]) -> List[str]:
    """File stems used to name the outputs of each image.

    Raises:
        ValueError: Two images would write the same outputs (same stem).
    """
    owners: Dict[str, str] = {}
    for path in paths:
        stem = osp.splitext(osp.basename(path))[0]
        if stem in owners:
            raise ValueError(f"'{owners[stem]}' and '{path}' would both write outputs named "
                             f"'{stem}'; rename one or run them separately")
        owners[stem] = path
    return list(owners)


#: Peak bytes per pixel of decoding an image: OpenCV (5.0) decodes into its own buffer
#: and copies it into the returned (H, W, 3) array (measured: 1124 MB for a 196-megapixel
#: JPEG or PNG); 3 of them stay.
DECODE_BYTES_PER_PIXEL = 6


def read_image(path: str, max_bytes: Optional[int] = None) -> np.ndarray:
    """Read an image as (H, W, 3) BGR uint8, the layout of MMSeg's pipelines.

    Args:
        path (str): Image file.
        max_bytes (int, optional): Memory budget of decoding the image, checked from the
            file header *before* decoding (``DECODE_BYTES_PER_PIXEL`` per pixel), so an
            image that does not fit is refused with a message instead of the kernel
            killing the process.

    Raises:
        ValueError: The file cannot be decoded as an image, or would not fit in
            ``max_bytes``; the message names it.
    """
    if max_bytes is not None:
        size = image_size(path)
        if size is not None and DECODE_BYTES_PER_PIXEL * size[0] * size[1] > max_bytes:
            width, height = size
            need = DECODE_BYTES_PER_PIXEL * width * height / 2**30
            raise ValueError(
                f"cannot read image '{path}': {width} x {height} = {width * height} pixels "
                f'need {need:.2f} GiB to decode ({DECODE_BYTES_PER_PIXEL} bytes per pixel), '
                f'more than the memory budget of {max_bytes / 2**30:.2f} GiB (raise '
                '--max-memory)')
    try:
        with open(path, 'rb') as f:
            image = mmcv.imfrombytes(f.read(), flag='color', channel_order='bgr')
    except OSError as err:
        raise ValueError(f"cannot read image '{path}': {err.strerror or err}") from err
    except cv2.error:  # OpenCV asserts instead of returning None on huge images
        image = None
    if image is None:
        too_big = _beyond_decoder_limit(path)
        if too_big:
            raise ValueError(f"cannot read image '{path}': {too_big}")
        raise ValueError(f"cannot read image '{path}': not a decodable image file")
    return image


#: OpenCV refuses to decode images with more pixels than this (its default, 2**30).
OPENCV_DEFAULT_MAX_PIXELS = 1 << 30


def image_size(path: str) -> Optional[Tuple[int, int]]:
    """(width, height) from the file header (nothing decoded); None if PIL cannot tell."""
    try:
        from PIL import Image
        Image.MAX_IMAGE_PIXELS = None  # only the header is read here
        with Image.open(path) as header:
            return header.size
    except Exception:  # noqa: BLE001 - not an image PIL knows
        return None


def _beyond_decoder_limit(path: str) -> str:
    """Why OpenCV refused a readable but huge image ('' if that is not the reason)."""
    size = image_size(path)
    if size is None:
        return ''
    width, height = size
    limit = int(os.environ.get('OPENCV_IO_MAX_IMAGE_PIXELS', OPENCV_DEFAULT_MAX_PIXELS))
    if width * height <= limit:
        return ''
    return (f'{width} x {height} = {width * height} pixels is more than OpenCV decodes '
            f'({limit}; raise it with the environment variable OPENCV_IO_MAX_IMAGE_PIXELS, '
            f'the decoded image then needs {3 * width * height / 2**30:.1f} GiB)')
