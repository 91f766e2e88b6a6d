"""Loading of labels that only some samples have."""
from __future__ import annotations

from mmseg.datasets.transforms import LoadAnnotations
from mmseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadOptionalAnnotations(LoadAnnotations):
    """MMSeg's ``LoadAnnotations`` for samples whose label may be absent.

    Unlabeled lists may name a label for some images (the benchmarks have ground truth
    for all of them, which SemiVL only uses to log pseudo-label quality) and none for
    others (a user's own photos). Samples with ``seg_map_path=None`` pass unchanged.
    """

    def transform(self, results: dict) -> dict:
        if results.get('seg_map_path') is None:
            return results
        return super().transform(results)
