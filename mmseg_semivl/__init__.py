"""mmseg-semivl: SemiVL (semi-supervised segmentation with vision-language guidance) for MMSeg 1.x.

Importing the package first applies the environment fixes of :mod:`mmseg_semivl.compat`
(they must precede any ``mmseg`` import), then registers every component into MMSeg's
registries (MODELS, DATASETS, TRANSFORMS, DATA_SAMPLERS, HOOKS).
"""
from . import compat

compat.apply()

from . import datasets, engine, models  # noqa: E402,F401  (registration side effects)
from .version import __version__  # noqa: E402

__all__ = ['__version__', 'compat', 'datasets', 'engine', 'models']
