"""The machinery of the UDA dataset converters (``tools/dataset_converters/prepare_*.py``).

One pass over a dataset's raw label files: each is mapped to Cityscapes train ids with a
look-up table and written next to it as ``*_labelTrainIds.png``, and its class pixel
counts are collected for the rare-class statistics (:mod:`.class_stats`). The pass runs
over worker processes with MMEngine's progress bar; a label whose trainId file already
exists is not converted again (its counts are read back from that file), so an
interrupted run simply continues. Writes go to a temporary file that is renamed, so a
killed run leaves no truncated PNG that a re-run would mistake for a finished one.
"""
from __future__ import annotations

import functools
import os
import os.path as osp
from typing import List, Mapping, NamedTuple, Optional, Sequence, Tuple

import cv2
import numpy as np
from mmengine.utils import track_parallel_progress, track_progress
from PIL import Image

from .class_stats import (SAMPLE_CLASS_STATS, ClassPixels, count_class_pixels,
                          read_sample_class_stats, write_class_stats)

IGNORE_INDEX = 255
#: How raw labels are read: 'index' = single-channel or palette PNG (the palette index is
#: the class id: GTA5, Mapillary, Cityscapes); 'last_channel' = OpenCV's last channel of a
#: multi-channel (16-bit) PNG, i.e. the file's first channel (SYNTHIA).
READERS = ('index', 'last_channel')


class ConversionResult(NamedTuple):
    """Outcome of one label file: its trainId path (relative), counts, and whether it was
    written now (False: it existed and was only read)."""
    rel_path: str
    counts: ClassPixels
    converted: bool


@functools.lru_cache(maxsize=8)
def _lut(mapping_items: Tuple[Tuple[int, int], ...], ignore_index: int) -> np.ndarray:
    # 65536 entries cover 16-bit labels (SYNTHIA); built once per worker and mapping.
    lut = np.full(65536, ignore_index, dtype=np.uint8)
    for raw, train_id in mapping_items:
        lut[raw] = train_id
    return lut


def map_to_train_ids(raw: np.ndarray, mapping: Mapping[int, int],
                     ignore_index: int = IGNORE_INDEX) -> np.ndarray:
    """Map a raw (H, W) label-id array to train ids; ids not in ``mapping`` -> ignore.

    Args:
        raw (np.ndarray): (H, W) non-negative integer ids (uint8 or uint16).
        mapping (Mapping[int, int]): Raw id -> train id.
        ignore_index (int): Value of unmapped ids. Defaults to 255.

    Returns:
        np.ndarray: (H, W) uint8 train ids.
    """
    return _lut(tuple(sorted(mapping.items())), ignore_index)[raw.astype(np.int64)]


def read_raw_label(path: str, reader: str = 'index') -> np.ndarray:
    """Read a raw label file as an (H, W) integer array.

    Raises:
        ValueError: Naming the file if it cannot be decoded or has the wrong channels.
    """
    if reader == 'index':
        try:
            with Image.open(path) as img:
                if img.mode not in ('P', 'L', 'I;16', 'I'):
                    raise ValueError(f'{path}: expected a palette or single-channel label '
                                     f'PNG, got PIL mode {img.mode!r} (a colour rendering?)')
                label = np.asarray(img)
        except (OSError, SyntaxError) as err:
            raise ValueError(f'{path}: not a readable label image ({err})') from err
        return label
    if reader == 'last_channel':
        label = cv2.imread(path, cv2.IMREAD_UNCHANGED)
        if label is None:
            raise ValueError(f'{path}: not a readable label image')
        return label[..., -1] if label.ndim == 3 else label
    raise ValueError(f'unknown label reader {reader!r}; choose from {READERS}')


def check_train_ids(label: np.ndarray, path: str, num_classes: int = 19,
                    ignore_index: int = IGNORE_INDEX) -> None:
    """Raise unless every value is a train id or the ignore index.

    Raises:
        ValueError: Naming the file and the offending values (raw ids left in it).
    """
    values = np.unique(label)
    bad = values[(values >= num_classes) & (values != ignore_index)]
    if bad.size:
        raise ValueError(f'{path} holds values {bad[:10].tolist()} outside the train ids '
                         f'0..{num_classes - 1} and {ignore_index}: still raw label ids? '
                         'Delete it and run the converter again.')


def write_png(path: str, array: np.ndarray) -> None:
    """Write a PNG atomically (temporary file, then rename)."""
    ok, buf = cv2.imencode('.png', array)
    if not ok:
        raise ValueError(f'could not encode {path}')
    tmp = path + '.tmp'
    with open(tmp, 'wb') as f:
        f.write(buf.tobytes())
    os.replace(tmp, path)


def _convert_task(task: tuple) -> ConversionResult:
    """Worker body: ``task = (src, dst, root, mapping items, reader, overwrite, classes)``."""
    src, dst, root, mapping_items, reader, overwrite, num_classes = task
    rel = osp.relpath(dst, root).replace(os.sep, '/')
    if src is None or (not overwrite and osp.isfile(dst)):
        done = cv2.imread(dst, cv2.IMREAD_UNCHANGED)
        if done is not None and done.ndim == 2:
            check_train_ids(done, dst, num_classes)
            return ConversionResult(rel, count_class_pixels(done, num_classes), False)
        if src is None:  # a shipped trainId file (ACDC) that cannot be read
            raise ValueError(f'{dst}: not a single-channel trainId label PNG')
        # An unreadable leftover is converted again.
    train_ids = map_to_train_ids(read_raw_label(src, reader), dict(mapping_items))
    write_png(dst, train_ids)
    return ConversionResult(rel, count_class_pixels(train_ids, num_classes), True)


def convert_labels(pairs: Sequence[Tuple[Optional[str], str]],
                   root: str,
                   mapping: Mapping[int, int],
                   reader: str = 'index',
                   nproc: int = 1,
                   overwrite: bool = False,
                   stats_dir: Optional[str] = None,
                   num_classes: int = 19) -> List[ConversionResult]:
    """Convert raw labels to train ids and write the class statistics, in one pass.

    Args:
        pairs (Sequence[tuple[str, str]]): ``(raw label path, trainId label path)``; a raw
            path None means the trainId file is given (only its statistics are read).
        root (str): Dataset root; the statistics name files relative to it.
        mapping (Mapping[int, int]): Raw id -> train id (others become 255).
        reader (str): See :data:`READERS`. Defaults to 'index'.
        nproc (int): Worker processes; 1 runs in this process. Defaults to 1.
        overwrite (bool): Convert again even where the trainId file exists.
        stats_dir (str, optional): Where the statistics go; None writes none.
        num_classes (int): Number of train ids. Defaults to 19.

    Returns:
        list[ConversionResult]: One per pair, in the order given.
    """
    items = tuple(sorted((int(k), int(v)) for k, v in mapping.items()))
    tasks = [(src, dst, root, items, reader, overwrite, num_classes) for src, dst in pairs]
    if not tasks:
        return []
    if nproc > 1:
        results = track_parallel_progress(_convert_task, tasks, nproc)
    else:
        results = track_progress(_convert_task, tasks)
    if stats_dir is not None:
        write_class_stats(stats_dir, [(r.rel_path, r.counts) for r in results])
    return list(results)


def find_files(folder: str, suffix: str, exclude_suffix: Optional[str] = None) -> List[str]:
    """Sorted paths under ``folder`` ending with ``suffix`` but not ``exclude_suffix``."""
    found = []
    for parent, dirs, names in os.walk(folder):
        dirs.sort()
        found += [osp.join(parent, n) for n in names
                  if n.endswith(suffix) and not (exclude_suffix and n.endswith(exclude_suffix))]
    return sorted(found)


def require_folders(dataset: str, root: str, folders: Sequence[str], hint: str) -> None:
    """Raise one error naming every missing folder.

    Raises:
        FileNotFoundError: ``<dataset>: missing folder(s) ... <hint>``.
    """
    if not osp.isdir(root):
        raise FileNotFoundError(f'{dataset}: dataset root {root} does not exist. {hint}')
    missing = [osp.join(root, f) for f in folders if not osp.isdir(osp.join(root, f))]
    if missing:
        raise FileNotFoundError(f'{dataset}: missing folder(s) {", ".join(missing)}. {hint}')


def count_message(what: str, folder: str, found: int, expected: Optional[int]) -> str:
    """``'<what> in <folder>: <found> of <expected> expected'`` (with the shortfall)."""
    if expected is None:
        return f'{what} in {folder}: {found}'
    note = '' if found == expected else (f' ({expected - found:,} missing)' if found < expected
                                         else f' ({found - expected:,} more than expected)')
    return f'{what} in {folder}: {found:,} of {expected:,} expected{note}'


def check_stats_match(stats_dir: str, rel_label_paths: Sequence[str]) -> None:
    """Raise unless ``sample_class_stats.json`` lists exactly these label files.

    Raises:
        ValueError: Naming the statistics file, the label folder's count and the first
            files present on one side only.
    """
    stats = read_sample_class_stats(stats_dir)
    listed = {f for f, _ in stats}
    on_disk = set(rel_label_paths)
    if listed == on_disk:
        return
    only_stats = sorted(listed - on_disk)[:3]
    only_disk = sorted(on_disk - listed)[:3]
    raise ValueError(
        f'{osp.join(stats_dir, SAMPLE_CLASS_STATS)} lists {len(listed)} label files but '
        f'{len(on_disk)} are on disk; only in the statistics: {only_stats}; only on disk: '
        f'{only_disk}. Run the converter again (without --check) to rewrite it.')


def label_histogram(path: str, class_names: Sequence[str], num_classes: int = 19) -> str:
    """One line: the file and its classes' pixel shares, largest first."""
    label = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if label is None or label.ndim != 2:
        raise ValueError(f'{path}: not a single-channel trainId label PNG')
    check_train_ids(label, path, num_classes)
    counts = count_class_pixels(label, num_classes)
    total = label.size
    ignored = int((label == IGNORE_INDEX).sum())
    parts = [f'{class_names[c]} {100 * n / total:.1f}%'
             for c, n in sorted(counts.items(), key=lambda item: -item[1])]
    return f'{path}: ' + ', '.join(parts + [f'ignore {100 * ignored / total:.1f}%'])


def check_prepared(dataset: str, root: str,
                   image_count: Optional[Tuple[str, int, Optional[int]]],
                   label_files: Sequence[str], expected_labels: Optional[int],
                   class_names: Sequence[str], stats_dir: Optional[str] = None,
                   num_histograms: int = 3) -> List[str]:
    """The report of a converter's ``--check``: counts, statistics, a few histograms.

    Args:
        dataset (str): Name used in the lines.
        root (str): Dataset root (label paths in the statistics are relative to it).
        image_count (tuple, optional): ``(folder, images found, images expected or None)``;
            None if the caller printed the image counts already.
        label_files (Sequence[str]): The trainId label files found.
        expected_labels (int, optional): How many there should be.
        class_names (Sequence[str]): Names of the train ids.
        stats_dir (str, optional): Where the statistics should be; None skips them.
        num_histograms (int): Label files whose class shares are printed. Defaults to 3.

    Returns:
        list[str]: Report lines.

    Raises:
        ValueError / FileNotFoundError: Statistics missing or not matching the labels,
            or a histogram file holding raw ids.
    """
    lines = []
    if image_count is not None:
        folder, found, expected = image_count
        lines.append(f'{dataset}: ' + count_message('images', folder, found, expected))
    label_folder = osp.commonpath(label_files) if label_files else root
    lines.append(f'{dataset}: ' + count_message('trainId labels', label_folder,
                                                len(label_files), expected_labels))
    if stats_dir is not None:
        rel = [osp.relpath(f, root).replace(os.sep, '/') for f in label_files]
        check_stats_match(stats_dir, rel)
        lines.append(f'{dataset}: {osp.join(stats_dir, SAMPLE_CLASS_STATS)} matches the '
                     f'{len(rel):,} label files')
    step = max(1, len(label_files) // max(1, num_histograms))
    for path in list(label_files)[::step][:num_histograms]:
        lines.append('  ' + label_histogram(path, class_names))
    return lines


def summarize(dataset: str, results: Sequence[ConversionResult], stats_dir: Optional[str]
              ) -> str:
    """One line: how many files were converted now, how many existed, where stats went."""
    converted = sum(r.converted for r in results)
    where = f'; statistics in {stats_dir}' if stats_dir else ''
    return (f'{dataset}: {len(results):,} trainId labels ready ({converted:,} converted now, '
            f'{len(results) - converted:,} already there){where}')



def add_converter_args(parser) -> None:
    """The options every UDA converter shares (``--nproc``, ``--overwrite``, ``--check``,
    ``--stats-dir``, ``--num-histograms``)."""
    parser.add_argument('--nproc', type=int, default=1, help='worker processes (1)')
    parser.add_argument('--overwrite', action='store_true',
                        help='convert again even where a *_labelTrainIds.png exists')
    parser.add_argument('--check', action='store_true',
                        help='only check: file counts against the expected ones, the '
                        'statistics against the labels, and a few label histograms')
    parser.add_argument('--stats-dir', default=None,
                        help='where the rare-class statistics go (default: the root)')
    parser.add_argument('--no-stats', action='store_true',
                        help='do not write the rare-class statistics')
    parser.add_argument('--num-histograms', type=int, default=3,
                        help='label files whose class shares --check prints (3)')


class LabelGroup(NamedTuple):
    """One image folder and its label folder (relative to the root), with the number of
    images the full release has there (None: unknown)."""
    img_dir: str
    label_dir: str
    expected: Optional[int] = None


def run_converter(args, *, dataset: str, root: str, groups: Sequence[LabelGroup],
                  img_suffix: str, raw_suffix: Optional[str], train_suffix: str,
                  mapping: Mapping[int, int], reader: str, hint: str,
                  class_names: Sequence[str], stats_dir: Optional[str]) -> int:
    """The body of a converter: layout check, counts, then ``--check`` or the conversion.

    Every raw label ``<label_dir>/<x><raw_suffix>`` becomes ``<x><train_suffix>`` next
    to it; trainId files without a raw label (shipped ones) only contribute statistics.

    Args:
        args: Parsed options of :func:`add_converter_args`.
        dataset (str): Name used in messages.
        root (str): Dataset root.
        groups (Sequence[LabelGroup]): The folders to convert; their labels form one set
            of statistics.
        img_suffix (str): Image ending, to count images and find unlabeled ones.
        raw_suffix (str, optional): Raw label ending; None if the release ships trainIds.
        train_suffix (str): TrainId label ending.
        mapping (Mapping[int, int]): Raw id -> train id.
        reader (str): See :data:`READERS`.
        hint (str): Where to get the data (appended to "missing" errors).
        class_names (Sequence[str]): Names of the train ids (for histograms).
        stats_dir (str, optional): Where the statistics go; None: none.

    Returns:
        int: 0.

    Raises:
        FileNotFoundError: A folder is missing, or there is no label at all.
        ValueError: ``--check`` found statistics not matching or raw ids in labels.
    """
    folders = list(dict.fromkeys([g.img_dir for g in groups] + [g.label_dir for g in groups]))
    require_folders(dataset, root, folders, hint)
    pairs: List[Tuple[Optional[str], str]] = []
    train_files: List[str] = []
    num_images, expected_total, unlabeled = 0, 0, []
    for group in groups:
        img_dir, label_dir = osp.join(root, group.img_dir), osp.join(root, group.label_dir)
        images = find_files(img_dir, img_suffix)
        raw = (find_files(label_dir, raw_suffix, exclude_suffix=train_suffix)
               if raw_suffix else [])
        trained = find_files(label_dir, train_suffix)
        print(f'{dataset}: ' + count_message('images', img_dir, len(images), group.expected))
        if raw_suffix:
            print(f'{dataset}: ' + count_message(f'raw labels (*{raw_suffix})', label_dir,
                                                 len(raw), group.expected))
        by_dst = {r[:-len(raw_suffix)] + train_suffix: r for r in raw} if raw_suffix else {}
        for dst in trained:
            by_dst.setdefault(dst, None)
        pairs += sorted(by_dst.items(), key=lambda item: item[0])
        train_files += trained
        stems = {osp.relpath(d, label_dir)[:-len(train_suffix)] for d in by_dst}
        unlabeled += [i for i in images
                      if osp.relpath(i, img_dir)[:-len(img_suffix)] not in stems]
        num_images += len(images)
        expected_total = None if group.expected is None or expected_total is None else (
            expected_total + group.expected)
    if unlabeled:
        print(f'{dataset}: warning: {len(unlabeled):,} of {num_images:,} images have no '
              f'label, e.g. {unlabeled[:3]}')
    if args.check:
        lines = check_prepared(dataset, root, None, sorted(train_files), expected_total,
                               class_names, stats_dir, args.num_histograms)
        print('\n'.join(lines))
        return 0
    if not pairs:
        where = ', '.join(osp.join(root, g.label_dir) for g in groups)
        raise FileNotFoundError(
            f'{dataset}: no label file (*{raw_suffix or train_suffix}) in {where} (found 0'
            + (f' of {expected_total:,} expected' if expected_total else '') + f'). {hint}')
    results = convert_labels([(src, dst) for dst, src in pairs], root, mapping, reader,
                             args.nproc, args.overwrite, stats_dir, len(class_names))
    print(summarize(dataset, results, stats_dir))
    return 0
