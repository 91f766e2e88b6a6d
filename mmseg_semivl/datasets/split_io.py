"""Reading and writing split lists (``<image path> [<label path>]`` per line).

A split list names one sample per line: an image path and, for labeled samples, the
label path, separated by white space and relative to the dataset root, e.g.::

    JPEGImages/2007_000032.jpg SegmentationClass/2007_000032.png
    leftImg8bit/train/aachen/aachen_000000_000019_leftImg8bit.png

This is the format of the UniMatch / SemiVL lists shipped in ``mmseg_semivl/splits``.
Lines need not end with a newline (the shipped lists have none after the last line) and
blank lines are ignored. Paths cannot contain white space, because white space separates
the two fields.
"""
from __future__ import annotations

import os
from typing import Iterable, List, NamedTuple, Optional

import mmengine.fileio as fileio


class SplitEntry(NamedTuple):
    """One sample of a split list.

    Attributes:
        img_path: Image path as written in the list (relative to the dataset root).
        seg_map_path: Label path as written in the list, or None when the line names only
            an image (unlabeled-only lists).
        line_no: 1-based line number in the list file (0 for entries not read from a file),
            kept so that errors can point at the offending line.
    """
    img_path: str
    seg_map_path: Optional[str] = None
    line_no: int = 0

    def to_line(self) -> str:
        """The list line of this entry (without newline)."""
        if self.seg_map_path is None:
            return self.img_path
        return f'{self.img_path} {self.seg_map_path}'


def parse_split_lines(text: str, source: str = '<string>') -> List[SplitEntry]:
    """Parse the text of a split list.

    Args:
        text: Content of the list.
        source: Name of the list used in error messages (usually its path).

    Returns:
        list[SplitEntry]: One entry per non-blank line, in file order.

    Raises:
        ValueError: If a line has more than two fields.
    """
    entries = []
    # splitlines() accepts a missing final newline and \r\n endings alike.
    for line_no, line in enumerate(text.splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) > 2:
            raise ValueError(
                f'{source}, line {line_no}: expected "<image path> [<label path>]" but '
                f'found {len(fields)} fields: {line.strip()!r} (paths may not contain spaces)')
        entries.append(SplitEntry(fields[0], fields[1] if len(fields) == 2 else None, line_no))
    return entries


def read_split_list(path: str | os.PathLike,
                    backend_args: Optional[dict] = None) -> List[SplitEntry]:
    """Read a split list file.

    Args:
        path: Path of the list (local, or any backend of ``mmengine.fileio``).
        backend_args: Arguments of the MMEngine file backend. Defaults to None (local).

    Returns:
        list[SplitEntry]: The samples, in file order.
    """
    text = fileio.get_text(str(path), backend_args=backend_args)
    return parse_split_lines(text, source=str(path))


def write_split_list(path: str | os.PathLike, entries: Iterable[SplitEntry]) -> int:
    """Write a split list (one line per entry, newline-terminated), creating folders.

    Args:
        path: Output file.
        entries: Samples to write, in the order given.

    Returns:
        int: Number of lines written.
    """
    lines = [entry.to_line() for entry in entries]
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, 'w', encoding='utf-8') as f:
        f.writelines(line + '\n' for line in lines)
    return len(lines)


def scan_image_label_pairs(data_root: str | os.PathLike,
                           img_dir: str,
                           img_suffix: str,
                           ann_dir: Optional[str] = None,
                           seg_map_suffix: str = '.png',
                           recursive: bool = True) -> List[SplitEntry]:
    """List the images of a folder, each paired with its label file when that exists.

    The label of ``<img_dir>/<sub>/<stem><img_suffix>`` is
    ``<ann_dir>/<sub>/<stem><seg_map_suffix>`` (the MMSeg convention), e.g. Cityscapes'
    ``leftImg8bit/train/x/a_leftImg8bit.png`` -> ``gtFine/train/x/a_gtFine_labelTrainIds.png``.

    Args:
        data_root: Dataset root; the returned paths are relative to it.
        img_dir: Image folder relative to ``data_root``.
        img_suffix: Image file name ending, e.g. '.jpg' or '_leftImg8bit.png'.
        ann_dir: Label folder relative to ``data_root``; None for images only.
        seg_map_suffix: Label file name ending. Defaults to '.png'.
        recursive: Look into sub-folders. Defaults to True.

    Returns:
        list[SplitEntry]: Sorted by image path; ``seg_map_path`` None where no label file
        exists.

    Raises:
        FileNotFoundError: If ``data_root/img_dir`` is not a folder.
    """
    root = os.fspath(data_root)
    img_root = os.path.join(root, img_dir)
    if not os.path.isdir(img_root):
        raise FileNotFoundError(f'Image folder {img_root} does not exist.')
    entries = []
    for folder, dirs, files in os.walk(img_root):
        if not recursive:
            dirs.clear()
        for name in files:
            if not name.endswith(img_suffix):
                continue
            # Lists always use '/' so that they are portable between systems.
            rel = os.path.relpath(os.path.join(folder, name), img_root).replace(os.sep, '/')
            img_path = _join_rel(img_dir, rel)
            seg_map_path = None
            if ann_dir is not None:
                candidate = _join_rel(ann_dir, rel[:-len(img_suffix)] + seg_map_suffix)
                if os.path.isfile(os.path.join(root, candidate)):
                    seg_map_path = candidate
            entries.append(SplitEntry(img_path, seg_map_path))
    return sorted(entries, key=lambda e: e.img_path)


def _join_rel(folder: str, rel: str) -> str:
    """'folder/rel' with '/' separators; just 'rel' for the root folder ('' or '.')."""
    folder = folder.replace(os.sep, '/').strip('/')
    return rel if folder in ('', '.') else f'{folder}/{rel}'
