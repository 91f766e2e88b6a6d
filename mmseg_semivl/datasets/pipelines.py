"""The data pipelines the dataset configs share, written once.

MMEngine evaluates each ``_base_`` file of a text config on its own, so a config cannot
change one crop size inside an inherited pipeline list: it would have to write the whole
list again (and every list or dataset that holds it). The functions here return those
lists as plain transform dicts; a config calls them with its own values::

    _base_ = ['./two_stream_loaders.py']
    from mmseg_semivl.datasets.pipelines import semi_pipelines  # noqa: E402

    labeled_pipeline, unlabeled_pipeline, test_pipeline = semi_pipelines(
        crop_size=(512, 512), scale=(2048, 512), test_scale=(2048, 512))

The import must come after ``_base_``: MMEngine reads a file whose first statement is
``_base_`` as a text config and leaves imported functions out of the result (an import
before it would switch the file to the pure-Python config format). The resolved config
holds only the dicts (``print(Config.fromfile(CONFIG).pretty_text)`` shows them); to change a
step, write the list out in your config. ``docs/custom_dataset.md`` shows both ways.
"""
from __future__ import annotations

import copy
from typing import List, Optional, Sequence, Tuple

from ..utils.sizes import size_pair

SizePair = Tuple[int, int]
Pipelines = Tuple[List[dict], List[dict], List[dict]]


def _check_size(name: str, value, optional: bool = False, order: str = '(h, w)') -> None:
    if value is None and optional:
        return
    # The transforms want a pair here: no square shorthand, which would hide a typo.
    try:
        valid = not isinstance(value, int) and len(value) == 2 and bool(size_pair(value, name))
    except (TypeError, ValueError):
        valid = False
    if not valid:
        raise ValueError(f'{name} must be a pair of positive ints {order}'
                         f'{" or None" if optional else ""}, got {value!r}')


def _check_fraction(name: str, value: float, allow_zero: bool = True) -> None:
    inside = 0.0 <= value <= 1.0 if allow_zero else 0.0 < value <= 1.0
    if not inside:
        raise ValueError(f"{name} must lie in {'[0, 1]' if allow_zero else '(0, 1]'}, "
                         f'got {value!r}')


def _geometric(crop_size: SizePair, scale: Optional[SizePair],
               ratio_range: Optional[Sequence[float]], flip_prob: float,
               cat_max_ratio: Optional[float] = None) -> List[dict]:
    """Resize (random when ``ratio_range`` is given, none when ``scale`` is None), crop, flip."""
    _check_size('crop_size', crop_size)
    _check_size('scale', scale, optional=True, order='(w, h)')  # mmcv's order
    if ratio_range is not None and not (
            len(ratio_range) == 2 and 0 < ratio_range[0] <= ratio_range[1]):
        raise ValueError(f'ratio_range must be (low, high) with 0 < low <= high, got '
                         f'{ratio_range!r}')
    _check_fraction('flip_prob', flip_prob)
    if cat_max_ratio is not None:
        _check_fraction('cat_max_ratio', cat_max_ratio, allow_zero=False)
    steps = []
    if scale is not None and ratio_range is not None:
        steps.append(dict(type='RandomResize', scale=scale, ratio_range=tuple(ratio_range),
                          keep_ratio=True))
    elif scale is not None:
        steps.append(dict(type='Resize', scale=scale, keep_ratio=True))
    crop = dict(type='RandomCrop', crop_size=crop_size)
    if cat_max_ratio is not None:
        crop['cat_max_ratio'] = cat_max_ratio
    return steps + [crop, dict(type='RandomFlip', prob=flip_prob)]


def _load_labeled(num_classes: Optional[int]) -> List[dict]:
    # SafeLoadImageFromFile names the file it cannot read; CheckLabelValues names a file
    # with label values outside [0, num_classes) + {255} (the dataset's classes when
    # num_classes is None).
    check = dict(type='CheckLabelValues')
    if num_classes is not None:
        check['num_classes'] = num_classes
    return [dict(type='SafeLoadImageFromFile'), dict(type='LoadAnnotations'), check]


def _load_unlabeled() -> List[dict]:
    # A label, when present, is only logged (pseudo-label accuracy); AddValidMask comes
    # before the geometric steps so that they keep it aligned with the image.
    return [dict(type='SafeLoadImageFromFile'), dict(type='LoadOptionalAnnotations'),
            dict(type='AddValidMask')]


def evaluation_pipeline(scale: Optional[SizePair] = None) -> List[dict]:
    """Whole-image evaluation: load, resize to ``scale`` (kept ratio; none if None), pack.

    MMSeg's ``inference_model`` / ``MMSegInferencer`` read a config's ``test_pipeline``
    by that name, so configs keep the variable.
    """
    _check_size('test_scale', scale, optional=True, order='(w, h)')
    resize = [] if scale is None else [dict(type='Resize', scale=scale, keep_ratio=True)]
    return [dict(type='LoadImageFromFile'), *resize, dict(type='LoadAnnotations'),
            dict(type='PackSegInputs')]


def semi_pipelines(crop_size: SizePair,
                   scale: Optional[SizePair],
                   ratio_range: Optional[Sequence[float]] = (0.5, 2.0),
                   flip_prob: float = 0.5,
                   test_scale: Optional[SizePair] = None,
                   num_classes: Optional[int] = None) -> Pipelines:
    """UniMatch's two training streams (SemiVL, paper Sec. 4.1) and the test pipeline.

    Both streams: rescale ``scale`` x U(``ratio_range``) with kept aspect ratio (a fixed
    resize when ``ratio_range`` is None, none when ``scale`` is None), ``crop_size``
    random crop, horizontal flip with ``flip_prob``, then pad to ``crop_size`` (padding is
    invalid for every loss). The unlabeled stream adds its strong views *before* padding
    (so they stay 0 there) and the CutMix boxes after it.

    Args:
        crop_size: (h, w) of the training crops.
        scale: the RandomResize scale in mmcv's (w, h) order, e.g. VOC's (2048, 512).
        ratio_range: the random rescale range; None for a fixed resize to ``scale``.
        flip_prob: horizontal flip probability.
        test_scale: the test resize (kept ratio); None evaluates the original size.
        num_classes: labels checked against [0, num_classes); None checks against the
            dataset's classes.

    Returns:
        ``(labeled, unlabeled, test)`` lists of transform configs; the labeled stream is
        packed as branch ``'labeled'``, the unlabeled one as ``'unlabeled'``.

    Raises:
        ValueError: A size that is not a pair of positive ints, a ``ratio_range`` that is
            not ``(low, high)`` with ``0 < low <= high``, or a probability outside [0, 1];
            the message names the argument.
    """
    geometric = _geometric(crop_size, scale, ratio_range, flip_prob)
    pad = dict(type='PadToSize', size=crop_size)
    labeled = [*_load_labeled(num_classes), *geometric, pad,
               dict(type='PackSemiInputs', branch='labeled')]
    unlabeled = [*_load_unlabeled(), *geometric, dict(type='StrongAugment'), pad,
                 dict(type='GenerateCutMixBox'), dict(type='PackSemiInputs', branch='unlabeled')]
    # Deep copies: a config that edits a step of one stream leaves the other one alone.
    return copy.deepcopy(labeled), copy.deepcopy(unlabeled), evaluation_pipeline(test_scale)


def uda_pipelines(crop_size: SizePair,
                  source_scale: Optional[SizePair],
                  target_scale: Optional[SizePair],
                  test_scale: Optional[SizePair] = None,
                  num_classes: Optional[int] = None,
                  cat_max_ratio: float = 0.75,
                  flip_prob: float = 0.5,
                  pad: bool = False) -> Pipelines:
    """DAFormer's source / target streams and the test pipeline.

    Source: resize to ``source_scale`` (kept ratio), ``crop_size`` crop whose largest
    class covers at most ``cat_max_ratio`` of it (10 tries, MMSeg's RandomCrop), flip.
    Target: resize to ``target_scale``, plain crop, flip, packed by ``PackTargetInputs``
    without strong views: photometric augmentation and mixing belong to the method (on
    the GPU), not to the pipeline. ``pad=True`` pads both to ``crop_size`` (images
    smaller than the crop, e.g. user folders).

    Args:
        crop_size: (h, w) of the training crops.
        source_scale: the source resize; None keeps the images' size.
        target_scale: the target resize; None keeps the images' size.
        test_scale: the validation resize; None evaluates the original size.
        num_classes: source labels checked against [0, num_classes) (None: the
            dataset's classes).
        cat_max_ratio: RandomCrop's class-ratio limit on the source.
        flip_prob: horizontal flip probability.
        pad: pad the crops to ``crop_size``.

    Returns:
        ``(source, target, test)`` lists of transform configs.

    Raises:
        ValueError: As :func:`semi_pipelines`; ``cat_max_ratio`` must lie in (0, 1].
    """
    padding = [dict(type='PadToSize', size=crop_size)] if pad else []
    source = [*_load_labeled(num_classes),
              *_geometric(crop_size, source_scale, None, flip_prob, cat_max_ratio),
              *padding, dict(type='PackSemiInputs', branch='labeled')]
    target = [*_load_unlabeled(), *_geometric(crop_size, target_scale, None, flip_prob),
              *padding, dict(type='PackTargetInputs')]
    return copy.deepcopy(source), copy.deepcopy(target), evaluation_pipeline(test_scale)


__all__ = ['semi_pipelines', 'uda_pipelines', 'evaluation_pipeline']
