"""Seeded two-stream batches and model builds shared by the segmentor tests."""
import copy

import torch
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from model_test_helpers import set_progress  # noqa: F401  (re-exported)

CROP = 64


def build(model_cfg, **overrides):
    """Build ``model_cfg`` updated by ``overrides`` from torch seed 0."""
    cfg = copy.deepcopy(model_cfg)
    cfg.update(overrides)
    torch.manual_seed(0)
    return MODELS.build(cfg)


def make_batch(num_labeled=2, num_unlabeled=2, seed=0, pad=16, num_strong_views=2,
               num_classes=21, size=CROP):
    """Preprocessed two-stream batch; the unlabeled images have `pad` columns of padding.

    Strong view i is the weak view + 0.1 * (-1)**(i + 1) * i; box i is box 1 flipped for
    even i.
    """
    g = torch.Generator().manual_seed(seed)
    inputs = dict(labeled=torch.randn(num_labeled, 3, size, size, generator=g))
    weak = torch.randn(num_unlabeled, 3, size, size, generator=g)
    inputs['weak'] = weak
    for i in range(1, num_strong_views + 1):
        inputs[f'strong{i}'] = weak + 0.1 * (-1)**(i + 1) * (1 if i < 3 else i)
    labeled = []
    for _ in range(num_labeled):
        s = SegDataSample()
        s.gt_sem_seg = PixelData(
            data=torch.randint(0, num_classes, (1, size, size), generator=g))
        s.set_metainfo(dict(img_shape=(size, size), pad_shape=(size, size)))
        labeled.append(s)
    unlabeled = []
    for _ in range(num_unlabeled):
        s = SegDataSample()
        valid = torch.ones(1, size, size, dtype=torch.uint8)
        valid[..., size - pad:] = 0
        box = torch.zeros(1, size, size, dtype=torch.uint8)
        box[..., 8:24, 8:40] = 1
        s.valid_mask = PixelData(data=valid)
        for i in range(1, num_strong_views + 1):
            setattr(s, f'cutmix_box{i}', PixelData(data=box if i % 2 else box.flip(-1)))
        s.set_metainfo(dict(img_shape=(size, size), pad_shape=(size, size)))
        unlabeled.append(s)
    return inputs, dict(labeled=labeled, unlabeled=unlabeled)


def losses_of(model, seed=0, **batch_kwargs):
    torch.manual_seed(seed)
    inputs, samples = make_batch(**batch_kwargs)
    return model.loss(inputs, samples)
