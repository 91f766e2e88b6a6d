"""Loading of labels that only some samples have."""
from __future__ import annotations

from mmseg.datasets.transforms import LoadAnnotations
from mmseg.registry import TRANSFORMS

from .checks import BadInputError, label_size_mismatch


@TRANSFORMS.register_module()
class LoadOptionalAnnotations(LoadAnnotations):
    """MMSeg's ``LoadAnnotations`` for samples whose label may be absent.

    Unlabeled lists may name a label for some images (the benchmarks have ground truth
    for all of them, which SemiVL only uses to log pseudo-label quality) and none for
    others (a user's own photos). Samples with ``seg_map_path=None`` pass unchanged.
    A label whose size differs from its image is a :class:`BadInputError` naming both
    files (it would otherwise fail later in ``PadToSize`` without naming either).
    """

    def transform(self, results: dict) -> dict:
        if results.get('seg_map_path') is None:
            return results
        results = super().transform(results)
        message = label_size_mismatch(results)
        if message is not None:
            raise BadInputError(message)
        return results
