"""mmseg-semivl: SemiVL (semi-supervised segmentation with vision-language guidance) for MMSeg 1.x.

Importing the package first applies the environment fixes of :mod:`mmseg_semivl.compat`
(the mmcv-lite stand-in must precede any ``mmseg`` import; torch's safe-loader allow-list
for checkpoints written by older versions of the plugin), then registers every component
into MMSeg's registries (MODELS, DATASETS, TRANSFORMS, DATA_SAMPLERS, HOOKS, OPTIM_WRAPPERS,
OPTIM_WRAPPER_CONSTRUCTORS). Nothing of MMEngine is patched: crash-safe checkpoints come
from a registered hook (:class:`~mmseg_semivl.engine.hooks.AtomicCheckpointHook`),
checkpoints that torch's safe loader reads without an allow-list from another
(:class:`~mmseg_semivl.engine.hooks.PlainCheckpointStateHook`), and CPU-only distributed
runs from an explicit tool step
(:func:`~mmseg_semivl.engine.model_wrappers.setup_cpu_distributed`).
"""
from . import compat

compat.apply()

from . import apis, datasets, engine, models, utils  # noqa: E402,F401  (registrations)
from . import evaluation  # noqa: E402,F401  (UDAIoUMetric, MultiDomainValLoop)
from .version import __version__  # noqa: E402

__all__ = ['__version__', 'apis', 'compat', 'datasets', 'engine', 'models', 'utils']
