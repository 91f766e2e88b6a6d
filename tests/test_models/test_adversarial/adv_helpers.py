"""A tiny DeepLabV2-like student and UDA batches for the adversarial tests."""
import copy

import torch
from mmengine.config import ConfigDict
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

NUM_CLASSES = 5
SIZE = 64


def tiny_student(aux: bool = True) -> dict:
    """ResNetV1c-18 at widths 8..64, output stride 8, DeepLabV2 heads (aux x 0.1)."""
    cfg = dict(
        type='HeadSyncedEncoderDecoder',
        backbone=dict(type='ResNetV1c', depth=18, base_channels=8, stem_channels=8,
                      strides=(1, 2, 1, 1), dilations=(1, 1, 2, 4),
                      norm_cfg=dict(type='BN', requires_grad=True)),
        decode_head=dict(type='DLV2Head', in_channels=64, in_index=3, dilations=(6, 12),
                         num_classes=NUM_CLASSES,
                         loss_decode=dict(type='CrossEntropyLoss', loss_weight=1.0)),
        test_cfg=dict(mode='whole'))
    if aux:
        cfg['auxiliary_head'] = dict(
            type='DLV2Head', in_channels=32, in_index=2, dilations=(6, 12),
            num_classes=NUM_CLASSES, loss_decode=dict(type='CrossEntropyLoss', loss_weight=0.1))
    return cfg


def build(kind: str = 'AdvEnt', seed: int = 0, aux: bool = True, **kwargs):
    torch.manual_seed(seed)
    cfg = dict(type=kind, student=tiny_student(aux),
               data_preprocessor=dict(type='SemiSegDataPreProcessor'), **kwargs)
    model = MODELS.build(ConfigDict(copy.deepcopy(cfg)))  # as from a config file
    model.init_weights()
    return model


def uda_batch(num_source: int = 2, num_target: int = 2, seed: int = 0, size: int = SIZE):
    """Already pre-processed: inputs {'labeled', 'weak'}, samples {'labeled', 'unlabeled'}."""
    g = torch.Generator().manual_seed(seed)
    inputs = dict(labeled=torch.randn(num_source, 3, size, size, generator=g),
                  weak=torch.randn(num_target, 3, size, size, generator=g) + 0.5)
    samples = dict(labeled=[], unlabeled=[])
    for group, num in (('labeled', num_source), ('unlabeled', num_target)):
        for _ in range(num):
            s = SegDataSample()
            if group == 'labeled':
                s.gt_sem_seg = PixelData(
                    data=torch.randint(0, NUM_CLASSES, (1, size, size), generator=g))
            else:
                s.valid_mask = PixelData(data=torch.ones(1, size, size, dtype=torch.uint8))
            s.set_metainfo(dict(img_shape=(size, size), pad_shape=(size, size)))
            samples[group].append(s)
    return inputs, samples


def raw_batch(seed: int = 0, size: int = SIZE):
    """A dataloader batch (uint8 lists) for train_step: 2 source + 2 target images."""
    inputs, samples = uda_batch(seed=seed, size=size)
    g = torch.Generator().manual_seed(seed + 100)
    images = [torch.randint(0, 256, (3, size, size), generator=g, dtype=torch.uint8)
              for _ in range(4)]
    return dict(inputs=dict(labeled=images[:2] + [None, None], weak=[None, None] + images[2:]),
                data_samples=dict(labeled=samples['labeled'] + [None, None],
                                  unlabeled=[None, None] + samples['unlabeled']))
