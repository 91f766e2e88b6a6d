"""What a tiny CLIP knows: zero-shot classification and dense MaskCLIP segmentation.

Both run on held-out generated scenes (streams that pre-training never draws from)
and through the package's real loading path (a checkpoint file read by ``build_clip``
and :class:`DenseCLIPZeroShot`).
"""
from __future__ import annotations

from typing import Dict, Mapping, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from ..datasets.synthetic.scenes import (MATERIAL_INDEX, OBJECT_MATERIALS, SCENE_TASK,
                                         material_to_class_lut, render_scene, scene_seed)
from ..models.backbones.clip_configs import TINY_SCENES_CLIP_CFG
from ..models.backbones.open_clip_builder import build_clip, build_tokenizer
from .pretrain import normalise


def miou(pred: np.ndarray, gt: np.ndarray, num_classes: int, ignore_index: int = 255) -> float:
    """Mean IoU in percent over the classes present in ``gt`` or ``pred`` (MMSeg's IoU)."""
    keep = gt != ignore_index
    confusion = np.bincount(gt[keep].astype(np.int64) * num_classes + pred[keep],
                            minlength=num_classes**2).reshape(num_classes, num_classes)
    inter = np.diag(confusion)
    union = confusion.sum(0) + confusion.sum(1) - inter
    present = union > 0
    return float(100 * (inter[present] / union[present]).mean())


@torch.no_grad()
def zero_shot_classification(checkpoint: str, model_cfg: Mapping = TINY_SCENES_CLIP_CFG,
                             num_scenes: int = 300, seed: int = 0,
                             image_size: int = 64) -> Dict[str, float]:
    """Top-1 accuracy of naming the material of single-object scenes.

    Prompts are ``'a photo of a {material}.'`` over the five object materials (chance
    20 %); the object is one large shape on a random background.
    """
    clip = build_clip('semivl-tiny-scenes', checkpoint, model_cfg)
    tokenizer = build_tokenizer('semivl-tiny-scenes', model_cfg)
    text = F.normalize(clip.encode_text(tokenizer([f'a photo of a {m}.'
                                                   for m in OBJECT_MATERIALS])), dim=-1)
    images, labels = [], []
    for i in range(num_scenes):
        scene = render_scene(scene_seed(seed, i, 'pretrain_eval'), size=image_size,
                             min_objects=1, max_objects=1, confounder_prob=0.0)
        images.append(scene.image)
        labels.append(OBJECT_MATERIALS.index(scene.objects[-1].material)
                      if scene.objects else -1)
    image = F.normalize(clip.encode_image(normalise(np.stack(images))), dim=-1)
    pred = (image @ text.T).argmax(dim=1).numpy()
    labels = np.asarray(labels)
    return dict(zero_shot_top1=float((pred[labels >= 0] == labels[labels >= 0]).mean()),
                logit_scale=float(clip.logit_scale.exp()))


@torch.no_grad()
def dense_zero_shot(checkpoint: str, model_cfg: Mapping = TINY_SCENES_CLIP_CFG,
                    num_scenes: int = 100, seed: int = 0, image_size: int = 96,
                    temperatures: Sequence[float] = (100.0, ),
                    threshold: float = 0.9,
                    task: Mapping[str, Sequence[str]] = SCENE_TASK) -> Dict[str, float]:
    """Dense MaskCLIP on the scene task's validation scenes.

    Returns mIoU with class definitions (max over concepts) and with class names
    only, the all-background mIoU for reference, and for every temperature the share
    of pixels whose guidance confidence passes ``threshold`` and their accuracy.
    """
    from ..models.text import DenseCLIPZeroShot
    lut = material_to_class_lut(task)
    scenes = [render_scene(scene_seed(seed, i, 'val'), size=image_size)
              for i in range(num_scenes)]
    x = normalise(np.stack([s.image for s in scenes]))
    gt = np.stack([lut[s.materials] for s in scenes])
    result = dict(all_background_miou=miou(np.zeros_like(gt), gt, len(task)))
    for aggregation in ('max', 'name'):
        guidance = DenseCLIPZeroShot('semivl-tiny-scenes', checkpoint, dict(task), img_size=image_size,
                                     aggregation=aggregation, model_cfg=model_cfg)
        scores = F.interpolate(guidance(x).float(), size=gt.shape[-2:], mode='bilinear',
                               align_corners=False)
        pred = scores.argmax(dim=1).numpy()
        key = 'concepts' if aggregation == 'max' else 'names'
        result[f'maskclip_miou_{key}'] = miou(pred, gt, len(task))
        if aggregation == 'max':
            for t in temperatures:
                conf = (scores * t).softmax(dim=1).max(dim=1).values.numpy()
                confident = conf >= threshold
                result[f'confident_at_{t:g}'] = float(confident.mean())
                result[f'confident_accuracy_at_{t:g}'] = float(
                    (pred[confident] == gt[confident]).mean()) if confident.any() else 0.0
    return result


__all__ = ['miou', 'zero_shot_classification', 'dense_zero_shot', 'MATERIAL_INDEX']
