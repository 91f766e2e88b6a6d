"""Toy modules (like MMSeg's Example* test modules) for the segmentor's control flow.

ToyBackbone: one 1x1 conv, 3 -> 4 channels, at full resolution, so logits are a per-pixel
affine function of the image. ToyHead: a stock MMSeg ``BaseDecodeHead`` (no
``num_perturbed`` argument) with a 1x1 classifier and no dropout. ToyFrozen: a frozen
reference with BN and dropout, to see train/eval mode. ToyDenseCLIP: a frozen dense
"CLIP" (the guidance model of the vision-language parts).
"""
import torch
import torch.nn as nn
from mmengine.config import ConfigDict
from mmengine.model import BaseModule
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import MODELS

from model_test_helpers import ToyDenseCLIP  # noqa: F401  (re-exported; registers it)

NUM_CLASSES = 3
CHANNELS = 4


@MODELS.register_module(force=True)
class ToyBackbone(BaseModule):

    def __init__(self, in_channels=3, channels=CHANNELS, drop=0.0):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, channels, 1)
        self.drop = nn.Dropout2d(drop)

    def forward(self, x):
        return [self.drop(self.conv(x))]


@MODELS.register_module(force=True)
class ToyHead(BaseDecodeHead):

    def __init__(self, **kwargs):
        super().__init__(in_channels=CHANNELS, channels=CHANNELS, num_classes=NUM_CLASSES,
                         dropout_ratio=0.0, **kwargs)

    def forward(self, inputs):
        return self.cls_seg(inputs[0])


@MODELS.register_module(force=True)
class ToyFrozen(BaseModule):

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 2, 1)
        self.bn = nn.BatchNorm2d(2)
        self.drop = nn.Dropout(0.5)

    def forward(self, x):
        return self.drop(self.bn(self.conv(x)))


def toy_student(drop=0.0):
    """An MMSeg EncoderDecoder of the toy modules."""
    return dict(type='EncoderDecoder', backbone=dict(type='ToyBackbone', drop=drop),
                decode_head=dict(type='ToyHead'), test_cfg=ConfigDict(mode='whole'))


def toy_segmentor(seed=0, **kwargs):
    """A TeacherStudentSegmentor of the toy student; kwargs override its arguments."""
    cfg = dict(type='TeacherStudentSegmentor', student=toy_student(),
               data_preprocessor=dict(type='SemiSegDataPreProcessor'))
    cfg.update(kwargs)
    torch.manual_seed(seed)
    return MODELS.build(cfg)


def build_seeded(cfg: dict, seed: int = 0, **overrides):
    """``MODELS.build(cfg)`` with ``overrides`` applied, from a fixed seed, weights initialised."""
    cfg = dict(cfg, **overrides)
    torch.manual_seed(seed)
    model = MODELS.build(cfg)
    model.init_weights()
    return model
