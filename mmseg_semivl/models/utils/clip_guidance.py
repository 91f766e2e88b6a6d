"""Dense CLIP guidance (SemiVL Sec. 3.5) as one part shared by SemiVL and the UDA methods.

A frozen dense CLIP (``DenseCLIPZeroShot``, registered by the segmentor as its frozen model
``guidance``) labels images; :class:`DenseCLIPGuidance` turns its class scores into
targets, weighs the guidance loss with the schedule lambda_t and reports statistics::

    scores      = upsample(guidance(x))                  (tiled by the guidance's own crops)
    conf, label = max / argmax softmax(T x scores)       no gradient, padding -> ignore
    M           = lambda_t x factor x CE(p, label) on pixels with conf >= zeta / all pixels
    lambda_t    = lambda_0 (1 - t / T)                   t, T from the runner's message hub

The part holds no weights (the frozen CLIP stays a submodule of the segmentor, so it is
moved, left out of checkpoints and kept in eval mode like every frozen model); it is built
from a dict (``build_part(cfg, 'DenseCLIPGuidance')``).

:class:`VisionLanguageFeatureDistance` is the CLIP-native counterpart of DAFormer's
ImageNet feature distance: the student's CLIP-aligned dense embedding is kept close to the
frozen guidance CLIP's on the pixels where the guidance is confident (or on given classes).
"""
from __future__ import annotations

from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.logging import MessageHub
from mmseg.models.utils import resize
from mmseg.registry import MODELS
from torch import Tensor

# CLIP's image normalisation (0-255, RGB) is the default of the guidance input.
from ...utils.sizes import size_pair
from ..backbones.clip_configs import CLIP_MEAN, CLIP_STD  # noqa: F401  (re-exported)
from .self_training import ImageNetFeatureDistance

#: ``schedule`` values of the guidance weight.
GUIDANCE_SCHEDULES = ('linear', 'constant')
#: ``mask`` values of the vision-language feature distance.
VLFD_MASKS = ('confident', 'classes', 'all')


@MODELS.register_module()
class DenseCLIPGuidance:
    """Targets, weight, loss and statistics of dense CLIP guidance.

    Args:
        loss (dict | nn.Module): The guidance loss, called as ``loss(pred, label, conf,
            valid)``. Default: ``ConfidenceMaskedCrossEntropy`` with zeta 0.9, normalised
            by all pixels (SemiVL).
        weight (float): lambda_0. Default: 0.1 (SemiVL).
        schedule (str): ``'linear'`` decays lambda to 0 over the run, ``'constant'`` keeps
            lambda_0. Default: 'linear'.
        temperature (float): T of ``softmax(T x cosine)``. Default: 100 (OpenAI CLIP's
            logit scale; a tiny CLIP uses its own).
        threshold (float, optional): zeta of the logged coverage and of visualised
            guidance. Default: None = the loss's ``threshold`` (0.9).
        crop_size (tuple[int, int], optional): The guidance CLIP's own crops: images
            larger than this are scored window by window (``stride``) and the upsampled
            window scores averaged where windows overlap (MMSeg's slide inference).
            Default: None = the whole image in one pass (SemiVL: the training crop).
        stride (tuple[int, int], optional): Window stride; default = ``crop_size``.
        mean (Sequence[float], optional): Normalisation (0-255) the guidance CLIP expects.
            With ``input_mean``/``input_std`` given at call time (the segmentor's
            pre-processor) and different from these, images are re-normalised. Default:
            None = the images are used as given (SemiVL: one CLIP normalisation for all).
        std (Sequence[float], optional): See ``mean``.
        ignore_index (int): Label of padding. Default: 255.
    """

    def __init__(self,
                 loss=dict(type='ConfidenceMaskedCrossEntropy', threshold=0.9, normalizer='all'),
                 weight: float = 0.1,
                 schedule: str = 'linear',
                 temperature: float = 100.0,
                 threshold: Optional[float] = None,
                 crop_size: Optional[Sequence[int]] = None,
                 stride: Optional[Sequence[int]] = None,
                 mean: Optional[Sequence[float]] = None,
                 std: Optional[Sequence[float]] = None,
                 ignore_index: int = 255) -> None:
        if schedule not in GUIDANCE_SCHEDULES:
            raise ValueError(f'guidance_schedule must be one of {GUIDANCE_SCHEDULES}, got '
                             f'{schedule!r}')
        if (mean is None) != (std is None):
            raise ValueError('guidance: give both mean and std, or neither')
        self.loss_fn: nn.Module = MODELS.build(loss) if isinstance(loss, dict) else loss
        self.weight = weight
        self.schedule = schedule
        self.temperature = temperature
        default_zeta = loss.get('threshold', 0.9) if isinstance(loss, dict) else getattr(
            loss, 'threshold', 0.9)
        self.threshold = default_zeta if threshold is None else threshold
        self.crop_size = None if crop_size is None else size_pair(crop_size, 'crop_size')
        self.stride = self.crop_size if stride is None else size_pair(stride, 'stride')
        self.mean = None if mean is None else tuple(float(v) for v in mean)
        self.std = None if std is None else tuple(float(v) for v in std)
        self.ignore_index = ignore_index

    # ------------------------------------------------------------------ schedule
    def current_weight(self) -> float:
        """lambda_t = lambda_0 * (1 - t / T) with t, T from the runner's message hub."""
        if self.schedule == 'constant':
            return self.weight
        hub = MessageHub.get_current_instance()
        max_iters = hub.get_info('max_iters')
        if not max_iters:
            return self.weight
        progress = min(max(hub.get_info('iter', 0) / max_iters, 0.0), 1.0)
        return self.weight * (1.0 - progress)

    # ------------------------------------------------------------------ targets
    def renormalize(self, images: Tensor, input_mean: Optional[Tensor],
                    input_std: Optional[Tensor]) -> Tensor:
        """Images normalised with ``input_mean/std`` -> the guidance CLIP's normalisation."""
        if self.mean is None or input_mean is None:
            return images
        mean = torch.tensor(self.mean, device=images.device, dtype=images.dtype).view(3, 1, 1)
        std = torch.tensor(self.std, device=images.device, dtype=images.dtype).view(3, 1, 1)
        input_mean = input_mean.to(images).view(3, 1, 1)
        input_std = input_std.to(images).view(3, 1, 1)
        if torch.equal(mean, input_mean) and torch.equal(std, input_std):
            return images
        return (images * input_std + input_mean - mean) / std

    @torch.no_grad()
    def scores(self, model: nn.Module, images: Tensor, align_corners: bool = False) -> Tensor:
        """(B, C, H, W) fp32 class scores at the image size (tiled by ``crop_size``)."""
        size = images.shape[-2:]
        if self.crop_size is None or all(s <= c for s, c in zip(size, self.crop_size)):
            return resize(model(images).float(), size=size, mode='bilinear',
                          align_corners=align_corners)
        (h, w), (ch, cw), (sh, sw) = size, self.crop_size, self.stride
        ch, cw = min(ch, h), min(cw, w)
        tops = _window_starts(h, ch, sh)
        lefts = _window_starts(w, cw, sw)
        total = count = None
        for top in tops:
            for left in lefts:
                window = images[..., top:top + ch, left:left + cw]
                out = resize(model(window).float(), size=(ch, cw), mode='bilinear',
                             align_corners=align_corners)
                if total is None:
                    total = out.new_zeros((*out.shape[:2], h, w))
                    count = out.new_zeros((1, 1, h, w))
                total[..., top:top + ch, left:left + cw] += out
                count[..., top:top + ch, left:left + cw] += 1
        return total / count

    @torch.no_grad()
    def targets_from_scores(self, scores: Tensor,
                            valid: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
        """(B, C, H, W) scores -> (B, H, W) confidence and label (ignore where not valid)."""
        conf, label = (scores * self.temperature).softmax(dim=1).max(dim=1)
        if valid is not None:
            label = label.masked_fill(~valid, self.ignore_index)
        return conf, label

    @torch.no_grad()
    def targets(self, model: nn.Module, images: Tensor, valid: Optional[Tensor] = None,
                align_corners: bool = False, input_mean: Optional[Tensor] = None,
                input_std: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
        """Dense CLIP labels of ``images``: (B, H, W) confidence and label."""
        images = self.renormalize(images, input_mean, input_std)
        return self.targets_from_scores(self.scores(model, images, align_corners), valid)

    def confident_labels(self, conf: Tensor, label: Tensor) -> Tensor:
        """The label where conf >= zeta, else ignore (what the loss trains on)."""
        return label.masked_fill(conf < self.threshold, self.ignore_index)

    # ------------------------------------------------------------------ loss, statistics
    def loss(self, pred: Tensor, label: Tensor, conf: Tensor, valid: Optional[Tensor] = None,
             factor: float = 1.0) -> Tensor:
        """lambda_t x factor x M(pred, label) (M: the loss, zeta and normaliser)."""
        return self.current_weight() * factor * self.loss_fn(pred, label, conf, valid)

    @torch.no_grad()
    def statistics(self, conf: Tensor, valid: Tensor) -> Dict[str, Tensor]:
        """'guidance_coverage' (share of valid pixels with conf >= zeta), 'lambda_guidance'."""
        num_valid = valid.sum().clamp(min=1)
        return dict(
            guidance_coverage=((conf >= self.threshold) & valid).sum() / num_valid,
            lambda_guidance=torch.tensor(self.current_weight(), device=conf.device))


@MODELS.register_module()
class VisionLanguageFeatureDistance(ImageNetFeatureDistance):
    """The student's CLIP-aligned dense embedding kept close to the frozen CLIP's.

    VL-FD = lambda x mean over masked positions of ||f - f_clip||_2, f the student
    backbone's output ``layer`` (the dense CLIP embedding of ``CLIPVisionTransformer`` or
    of ``OpenCLIPEVA(dense_embedding=True)``), f_clip the frozen guidance CLIP's dense
    embedding of the same images, resized (bilinear) to f's grid; with ``normalize`` both
    are L2-normalised first (distance of unit vectors, in [0, 2]). The mask:

    * ``'confident'`` (default): positions where the guidance is confident (zeta of
      ``threshold``, on the guidance's own scores at its patch grid, nearest-resized);
    * ``'classes'``: DAFormer's rule on the source ground truth (patch >= ``min_ratio``
      one of ``classes``);
    * ``'all'``: everywhere.

    Args:
        loss_weight (float): lambda. Default: 0.005 (DAFormer's FD).
        mask (str): See above. Default: 'confident'.
        threshold (float, optional): zeta of ``'confident'``; None = the guidance's.
        classes, min_ratio: ``'classes'`` mask, as :class:`ImageNetFeatureDistance`.
            Default: None (every class), 0.75.
        layer (int): Index into the student BACKBONE's outputs (before any neck).
            Default: -1.
        normalize (bool): L2-normalise both embeddings. Default: True.
        empty (str): 'zero' or 'nan', as :class:`ImageNetFeatureDistance`.
    """

    def __init__(self, loss_weight: float = 0.005, mask: str = 'confident',
                 threshold: Optional[float] = None, classes: Optional[Sequence[int]] = None,
                 min_ratio: float = 0.75, layer: int = -1, normalize: bool = True,
                 empty: str = 'zero') -> None:
        super().__init__(loss_weight=loss_weight, classes=classes, min_ratio=min_ratio,
                         layer=layer, empty=empty)
        if mask not in VLFD_MASKS:
            raise ValueError(f'vl_feature_distance.mask must be one of {VLFD_MASKS}, got '
                             f'{mask!r}')
        self.mask_mode = mask
        self.threshold = threshold
        self.normalize = normalize

    def reference_mask(self, conf: Tensor, label: Tensor, feat_size: Tuple[int, int],
                       num_classes: int, threshold: float,
                       ignore_index: int = 255) -> Tensor:
        """(B, h, w) bool mask from guidance confidence or the ground-truth ``label``."""
        if self.mask_mode == 'confident':
            zeta = threshold if self.threshold is None else self.threshold
            confident = (conf >= zeta).float()[:, None]
            return F.interpolate(confident, size=tuple(feat_size), mode='nearest')[:, 0] > 0.5
        if self.mask_mode == 'classes':
            return self.mask(label, feat_size, num_classes, ignore_index)
        return torch.ones((conf.shape[0], *feat_size), dtype=torch.bool, device=conf.device)

    def __call__(self, feat: Tensor, ref_feat: Tensor, mask: Tensor) -> Tensor:
        if feat.shape[1] != ref_feat.shape[1]:
            raise ValueError(f'vl_feature_distance: the student feature {self.layer} has '
                             f'{feat.shape[1]} channels, the guidance CLIP embeds into '
                             f'{ref_feat.shape[1]}: use a CLIP-aligned student output')
        ref_feat = ref_feat.detach().to(feat.dtype)
        if ref_feat.shape[-2:] != feat.shape[-2:]:
            ref_feat = F.interpolate(ref_feat, size=feat.shape[-2:], mode='bilinear',
                                     align_corners=False)
        if self.normalize:
            feat = F.normalize(feat, dim=1)
            ref_feat = F.normalize(ref_feat, dim=1)
        return super().__call__(feat, ref_feat, mask)


def _window_starts(size: int, crop: int, stride: int) -> list:
    """Window starts covering ``size`` (the last window ends at the border)."""
    starts = list(range(0, max(size - crop, 0) + 1, stride))
    if starts[-1] + crop < size:
        starts.append(size - crop)
    return starts


__all__ = ['DenseCLIPGuidance', 'VisionLanguageFeatureDistance', 'GUIDANCE_SCHEDULES',
           'VLFD_MASKS', 'CLIP_MEAN', 'CLIP_STD']
