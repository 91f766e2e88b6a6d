"""Access to the benchmark split lists shipped in ``mmseg_semivl/splits``.

Layout of the shipped folder (see its README for counts and provenance)::

    splits/<dataset>/<split>/labeled.txt   labeled subsets, e.g. pascal/92, coco/1_512
    splits/<dataset>/val.txt               validation list
    splits/pascal/train_aug.txt            all 10,582 VOC training images (aug set)

A shipped list is addressed either by its parts,
``get_split_file('pascal', '92', 'labeled')``, or by its relative name,
``resolve_split_name('pascal/92/labeled.txt')``; the datasets of this package accept the
latter as ``ann_file``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Optional

#: Folder of the shipped lists (package data, next to this subpackage).
SPLITS_ROOT = Path(__file__).resolve().parent.parent / 'splits'

#: Kinds of list that exist for every dataset, not per labeled subset.
DATASET_LEVEL_KINDS = ('val', 'train_aug')


def available_splits() -> Dict[str, List[str]]:
    """Shipped labeled subsets per dataset.

    Returns:
        dict[str, list[str]]: e.g. ``{'pascal': ['92', '183', ...], 'ade': ['1_128', ...]}``,
        each list sorted from the fewest to the most labeled images.
    """
    result = {}
    for dataset_dir in sorted(p for p in SPLITS_ROOT.iterdir() if p.is_dir()):
        splits = [p.name for p in dataset_dir.iterdir() if (p / 'labeled.txt').is_file()]
        result[dataset_dir.name] = sorted(splits, key=_split_size_key)
    return result


def _split_size_key(split: str) -> float:
    """Order '92' < '183' and '1_512' < '1_256' by the number of labeled images."""
    if split.startswith('1_') and split[2:].isdigit():
        return 1.0 / int(split[2:])
    return float(split) if split.isdigit() else float('inf')


def _describe_available() -> str:
    lines = []
    for dataset, splits in available_splits().items():
        extra = [k for k in DATASET_LEVEL_KINDS if (SPLITS_ROOT / dataset / f'{k}.txt').is_file()]
        lines.append(f'  {dataset}: splits {", ".join(splits)}; lists {", ".join(extra)}')
    return '\n'.join(lines)


def get_split_file(dataset: str, split: Optional[str] = None, kind: str = 'labeled') -> Path:
    """Path of a shipped split list.

    Args:
        dataset: Folder name: 'pascal', 'cityscapes', 'coco' or 'ade'.
        split: Labeled subset, e.g. '92' (pascal) or '1_16' (others); ignored for
            dataset-level kinds ('val', 'train_aug').
        kind: 'labeled' (needs ``split``), 'val' or 'train_aug' (pascal only). Unlabeled
            lists are not shipped: write them with ``tools/make_unlabeled_split.py``.

    Returns:
        Path: The existing list file.

    Raises:
        FileNotFoundError: If no such list is shipped; the message lists what is.
    """
    if kind in DATASET_LEVEL_KINDS:
        path = SPLITS_ROOT / dataset / f'{kind}.txt'
    elif kind == 'labeled':
        if split is None:
            raise ValueError(f'get_split_file({dataset!r}): kind "labeled" needs a split, '
                             f'e.g. {available_splits().get(dataset, ["92"])[0]!r}')
        path = SPLITS_ROOT / dataset / str(split) / 'labeled.txt'
    else:
        hint = (' Unlabeled lists are derived from the dataset folder: run '
                'tools/make_unlabeled_split.py.' if kind == 'unlabeled' else '')
        raise FileNotFoundError(f'No shipped split list of kind {kind!r}; kinds are '
                                f'"labeled", {", ".join(map(repr, DATASET_LEVEL_KINDS))}.{hint}')
    if not path.is_file():
        raise FileNotFoundError(
            f'No shipped split list for dataset={dataset!r}, split={split!r}, kind={kind!r} '
            f'(looked for {path}). Shipped lists:\n{_describe_available()}')
    return path


def resolve_split_name(name: str) -> Optional[Path]:
    """Shipped list named by its path relative to the splits folder, if it exists.

    Args:
        name: e.g. 'pascal/92/labeled.txt', 'cityscapes/val.txt'; a leading 'splits/' is
            accepted too.

    Returns:
        Path | None: The shipped file, or None if ``name`` names none.
    """
    parts = Path(name).parts
    if parts and parts[0] == 'splits':
        parts = parts[1:]
    if not parts or Path(name).is_absolute() or '..' in parts:
        return None
    path = SPLITS_ROOT.joinpath(*parts)
    return path if path.is_file() else None


def shipped_splits_help() -> str:
    """Human-readable list of the shipped lists, for error messages."""
    return f'Shipped split lists (in {SPLITS_ROOT}):\n{_describe_available()}'
