"""Fixtures of the segmentor tests: the tiny SemiVL model config in the mmseg scope."""
import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope

from semi_batch import CROP


@pytest.fixture(autouse=True)
def mmseg_scope():
    # As MMEngine's Runner does: nested configs (data preprocessor, losses) resolve in mmseg.
    with DefaultScope.overwrite_default_scope('mmseg'):
        yield


@pytest.fixture(scope='module')
def model_cfg(demo_config, tiny_clip_checkpoint):
    """The demo config's SemiSupervisedSegmentor with the tiny CLIP at 64 px."""
    cfg = Config.fromfile(demo_config).model
    for part in (cfg.backbone, cfg.guidance, cfg.decode_head.text_embeddings):
        part.pretrained = tiny_clip_checkpoint
    cfg.backbone.img_size = cfg.guidance.img_size = CROP
    cfg.data_preprocessor.size = (CROP, CROP)
    return cfg
