"""Toy modules (like MMSeg's Example* test modules) for the segmentor's control flow.

ToyBackbone: one 1x1 conv, 3 -> 4 channels, at full resolution, so logits are a per-pixel
affine function of the image. ToyHead: a stock MMSeg ``BaseDecodeHead`` (no
``num_perturbed`` argument) with a 1x1 classifier and no dropout. ToyFrozen: a frozen
reference with BN and dropout, to see train/eval mode. ToyDenseCLIP: a frozen dense
"CLIP" (the guidance model of the vision-language parts).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.config import ConfigDict
from mmengine.model import BaseModule
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import MODELS

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


@MODELS.register_module(force=True)
class ToyDenseCLIP(BaseModule):
    """A frozen 'CLIP': 1x1 conv 3 -> 4, L2-normalised, cosine to 3 fixed text vectors."""

    def __init__(self):
        super().__init__()
        g = torch.Generator().manual_seed(5)
        self.conv = nn.Conv2d(3, CHANNELS, 1)
        with torch.no_grad():
            self.conv.weight.copy_(torch.randn(self.conv.weight.shape, generator=g))
            self.conv.bias.copy_(torch.randn(self.conv.bias.shape, generator=g))
        self.register_buffer('text', F.normalize(torch.randn(NUM_CLASSES, CHANNELS,
                                                             generator=g), dim=1))

    def forward_with_embedding(self, x):
        dense = F.normalize(self.conv(x), dim=1)
        return torch.einsum('bdhw,kd->bkhw', dense, self.text), dense

    def forward(self, x, return_embedding=False):
        out = self.forward_with_embedding(x)
        return out if return_embedding else out[0]
