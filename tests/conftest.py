import os

# One thread everywhere, also in the tools' subprocesses: numerics (and run time on
# shared cores) then do not depend on the machine, and the README's test command and
# CI's run the tests in the same environment.
os.environ['OMP_NUM_THREADS'] = '1'

# The one import of the plugin the test modules need: pytest loads this file first, and
# with mmcv-lite the package's stand-in for mmcv's compiled ops must exist before
# `mmseg.apis` / `mmcv.ops` are imported (docs/compatibility.md); it registers the
# modules and patches nothing.
import mmseg_semivl  # noqa: E402,F401

import copy  # noqa: E402
from typing import Any, Dict, Iterator

import open_clip  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)

from mmseg_semivl.models.backbones import TINY_CLIP_CFG  # noqa: E402
from mmseg_semivl.models.text import CACHE_ENV  # noqa: E402


@pytest.fixture(scope='session')
def tiny_clip_cfg() -> Dict[str, Any]:
    """The tiny open_clip architecture (embed 64, ViT width 64 x 3 blocks, patch 16, 64 px)."""
    return copy.deepcopy(TINY_CLIP_CFG)


def make_tiny_clip(cfg: Dict[str, Any], seed: int = 0) -> torch.nn.Module:
    """A randomly initialised open_clip CLIP whose LayerNorms and biases are not trivial.

    open_clip initialises LayerNorms to identity and attention in-proj biases to zero;
    perturbing every 1-d parameter makes parity tests exercise them too.
    """
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = open_clip.CLIP(**copy.deepcopy(cfg)).eval()
    with torch.no_grad():
        for name, param in model.named_parameters():
            if param.dim() == 1 and name != 'logit_scale':
                param.add_(0.1 * torch.randn(param.shape, generator=generator))
    return model


@pytest.fixture(scope='session')
def tiny_clip_checkpoint(tmp_path_factory: pytest.TempPathFactory, tiny_clip_cfg) -> str:
    """Path of a randomly initialised tiny open_clip CLIP state dict."""
    path = tmp_path_factory.mktemp('clip') / 'tiny_clip.pt'
    torch.save(make_tiny_clip(tiny_clip_cfg).state_dict(), path)
    return str(path)


@pytest.fixture(scope='session', autouse=True)
def text_embedding_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Point the text-embedding cache to a temporary folder for the whole session."""
    path = str(tmp_path_factory.mktemp('semivl_cache'))
    patch = pytest.MonkeyPatch()
    patch.setenv(CACHE_ENV, path)
    yield path
    patch.undo()


@pytest.fixture(scope='session')
def tiny_open_clip(tiny_clip_cfg, tiny_clip_checkpoint) -> torch.nn.Module:
    """open_clip's own model holding the weights of ``tiny_clip_checkpoint`` (do not modify)."""
    model = open_clip.CLIP(**copy.deepcopy(tiny_clip_cfg)).eval()
    model.load_state_dict(torch.load(tiny_clip_checkpoint, weights_only=True))
    return model


@pytest.fixture(scope='session')
def demo_data_root(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The bundled demo dataset (real photos), written once per session."""
    from mmseg_semivl.demo import make_demo_dataset
    root = str(tmp_path_factory.mktemp('demo_data'))
    make_demo_dataset(root)
    return root


REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEMO_CONFIG = os.path.join(REPO_ROOT, 'configs', 'demo', 'semivl_tiny_demo.py')


@pytest.fixture(scope='session')
def demo_config() -> str:
    """Path of the bundled demo config (tiny CLIP, demo data)."""
    return DEMO_CONFIG


@pytest.fixture(scope='session')
def tiny_train_options(tiny_clip_checkpoint: str, demo_data_root: str):
    """``--cfg-options`` for a fast run of the demo config with the shared tiny CLIP.

    Returns a function ``options(max_iters, **overrides) -> list[str]``.
    """

    def options(max_iters: int = 4, batch_size: int = 2, **overrides: Any) -> list:
        values = {
            'model.backbone.pretrained': tiny_clip_checkpoint,
            'model.guidance.pretrained': tiny_clip_checkpoint,
            'model.decode_head.text_embeddings.pretrained': tiny_clip_checkpoint,
            'train_dataloader.dataset.datasets.0.data_root': demo_data_root,
            'train_dataloader.dataset.datasets.1.data_root': demo_data_root,
            'val_dataloader.dataset.data_root': demo_data_root,
            'test_dataloader.dataset.data_root': demo_data_root,
            'train_dataloader.batch_size': batch_size,
            'train_dataloader.sampler.batch_size': batch_size,
            'train_cfg.max_iters': max_iters,
            'train_cfg.val_interval': max_iters,
            'param_scheduler.0.end': max_iters,
            'default_hooks.checkpoint.interval': max(1, max_iters // 2),
            'default_hooks.checkpoint.max_keep_ckpts': 3,
            'default_hooks.logger.interval': 1,
        }
        values.update(overrides)
        return [f'{k}={v}' for k, v in values.items()]

    return options
