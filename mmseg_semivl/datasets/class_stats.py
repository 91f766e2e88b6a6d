"""Per-file class statistics for rare-class sampling (the files DAFormer's converters write).

Three JSON files in a dataset root, all derived from one pass over the trainId labels:

* ``sample_class_stats.json``: a list with one entry per label file,
  ``{"<train id>": <pixels>, ..., "file": "<label path>"}`` (classes with 0 pixels are
  left out);
* ``sample_class_stats_dict.json``: the same keyed by file,
  ``{"<label path>": {"<train id>": <pixels>, ...}}``;
* ``samples_with_class.json``: per class the files that contain it,
  ``{"<train id>": [["<label path>", <pixels>], ...]}``.

Label paths are written relative to the dataset root with ``/`` separators, so the files
stay valid when the dataset moves. Files are sorted by path and classes by id, so the
same labels always give byte-identical files.
"""
from __future__ import annotations

import json
import os
import os.path as osp
from typing import Dict, Iterable, List, Mapping, Sequence, Tuple

import numpy as np

SAMPLE_CLASS_STATS = 'sample_class_stats.json'
SAMPLE_CLASS_STATS_DICT = 'sample_class_stats_dict.json'
SAMPLES_WITH_CLASS = 'samples_with_class.json'
STATS_FILES = (SAMPLE_CLASS_STATS, SAMPLE_CLASS_STATS_DICT, SAMPLES_WITH_CLASS)

ClassPixels = Dict[int, int]


def count_class_pixels(label: np.ndarray, num_classes: int = 19) -> ClassPixels:
    """Pixels per class of one trainId mask.

    Args:
        label (np.ndarray): (H, W) integer mask; values outside ``0..num_classes - 1``
            (the ignore index) are not counted.
        num_classes (int): Number of classes. Defaults to 19.

    Returns:
        dict[int, int]: ``{train id: pixels}`` for the classes present, ascending ids.
    """
    values = label.ravel().astype(np.int64)
    counts = np.bincount(values[(values >= 0) & (values < num_classes)], minlength=num_classes)
    return {c: int(n) for c, n in enumerate(counts) if n > 0}


def write_class_stats(out_dir: str, stats: Iterable[Tuple[str, Mapping[int, int]]]) -> List[str]:
    """Write the three statistics files.

    Args:
        out_dir (str): Folder (the dataset root).
        stats (Iterable[tuple[str, Mapping[int, int]]]): ``(label path relative to the
            root, {train id: pixels})`` per label file.

    Returns:
        list[str]: The written paths.
    """
    per_file = sorted(((f.replace(os.sep, '/'), {int(c): int(n) for c, n in s.items() if n})
                       for f, s in stats), key=lambda item: item[0])
    as_list = [dict({str(c): n for c, n in sorted(s.items())}, file=f) for f, s in per_file]
    as_dict = {f: {str(c): n for c, n in sorted(s.items())} for f, s in per_file}
    with_class: Dict[int, List[list]] = {}
    for f, s in per_file:
        for c, n in s.items():
            with_class.setdefault(c, []).append([f, n])
    with_class_json = {str(c): with_class[c] for c in sorted(with_class)}
    os.makedirs(out_dir, exist_ok=True)
    paths = []
    for name, content in zip(STATS_FILES, (as_list, as_dict, with_class_json)):
        path = osp.join(out_dir, name)
        tmp = path + '.tmp'
        with open(tmp, 'w', encoding='utf-8') as f:
            json.dump(content, f, indent=2)
        os.replace(tmp, path)  # never leave a half-written statistics file behind
        paths.append(path)
    return paths


def read_sample_class_stats(stats_dir: str) -> List[Tuple[str, ClassPixels]]:
    """Read ``sample_class_stats.json``.

    Args:
        stats_dir (str): Folder holding it.

    Returns:
        list[tuple[str, dict[int, int]]]: ``(file, {train id: pixels})`` in file order.

    Raises:
        FileNotFoundError: Naming the missing file and the converter to run.
        ValueError: Naming the file and the entry that is malformed.
    """
    path = osp.join(stats_dir, SAMPLE_CLASS_STATS)
    if not osp.isfile(path):
        raise FileNotFoundError(f'rare-class statistics {path} not found; the dataset '
                                'converters in tools/dataset_converters write it.')
    with open(path, encoding='utf-8') as f:
        content = json.load(f)
    if not isinstance(content, list):
        raise ValueError(f'{path}: expected a list of {{class: pixels, "file": path}} entries')
    result = []
    for i, entry in enumerate(content):
        if not isinstance(entry, dict) or 'file' not in entry:
            raise ValueError(f'{path}: entry {i} has no "file" key: {entry!r:.80}')
        counts = {int(c): int(n) for c, n in entry.items() if c != 'file'}
        result.append((str(entry['file']), counts))
    return result


def read_samples_with_class(stats_dir: str) -> Dict[int, List[Tuple[str, int]]]:
    """Read ``samples_with_class.json`` as ``{train id: [(file, pixels), ...]}``.

    Raises:
        FileNotFoundError: Naming the missing file.
    """
    path = osp.join(stats_dir, SAMPLES_WITH_CLASS)
    if not osp.isfile(path):
        raise FileNotFoundError(f'rare-class statistics {path} not found; the dataset '
                                'converters in tools/dataset_converters write it.')
    with open(path, encoding='utf-8') as f:
        content = json.load(f)
    return {int(c): [(str(f), int(n)) for f, n in files] for c, files in content.items()}


def total_class_pixels(stats: Sequence[Tuple[str, Mapping[int, int]]]) -> ClassPixels:
    """Pixels per class summed over all files (ascending ids)."""
    total: ClassPixels = {}
    for _, counts in stats:
        for c, n in counts.items():
            total[c] = total.get(c, 0) + n
    return dict(sorted(total.items()))
