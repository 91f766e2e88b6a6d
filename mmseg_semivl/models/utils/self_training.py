"""Parts of self-training domain adaptation (DACS, DAFormer, MIC) plugged into the
teacher-student core: the pseudo-label weight, the in-method photometric augmentation,
the ImageNet feature distance and the masked-image-consistency mask.

Each part is a small object with the anchors' values as defaults, so that a method's
training step only composes them and a config changes any of them.
"""
from __future__ import annotations

import math
from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmseg.registry import MODELS
from torch import Tensor
from torchvision.transforms.v2 import functional as TF

#: Cityscapes train ids of the "thing" classes (pole .. bicycle without the stuff
#: classes), where DAFormer applies the ImageNet feature distance.
CITYSCAPES_THING_CLASSES = (6, 7, 11, 12, 13, 14, 15, 16, 17, 18)


def confident_fraction_weight(conf: Tensor, threshold: float = 0.968,
                              valid: Optional[Tensor] = None, ignore_top: int = 0,
                              ignore_bottom: int = 0) -> Tuple[Tensor, Tensor]:
    """DACS's pseudo-label weight: ONE scalar per batch, broadcast to every pixel.

    The weight is the fraction of the batch's pixels whose teacher confidence reaches
    ``threshold`` (not a per-pixel mask). The optional crop margins (DAFormer on a
    Cityscapes target: the ego car and the rear-view mirror region) are zeroed *after*
    the fraction is computed, as in the anchor.

    Args:
        conf (Tensor): (B, H, W) max softmax probability of the teacher.
        threshold (float): Confidence threshold. Default: 0.968 (DACS/DAFormer).
        valid (Tensor, optional): (B, H, W) bool, False on padding; padded pixels get
            weight 0 and do not count in the fraction. Default: all valid.
        ignore_top (int): Rows at the top with weight 0. Default: 0 (DAFormer: 15).
        ignore_bottom (int): Rows at the bottom with weight 0. Default: 0 (DAFormer: 120).

    Returns:
        tuple[Tensor, Tensor]: The (B, H, W) float weight and the scalar fraction.
    """
    if ignore_top < 0 or ignore_bottom < 0:
        raise ValueError(f'pseudo-label crop margins must be >= 0, got top={ignore_top}, '
                         f'bottom={ignore_bottom}')
    confident = conf >= threshold
    if valid is None:
        fraction = confident.float().mean()
    else:
        fraction = (confident & valid).sum().float() / valid.sum().clamp(min=1)
    weight = fraction * torch.ones_like(conf)
    if valid is not None:
        weight = weight * valid
    if ignore_top > 0:
        weight[:, :ignore_top, :] = 0
    if ignore_bottom > 0:
        weight[:, -ignore_bottom:, :] = 0
    return weight, fraction


def pixel_weighted_cross_entropy(logits: Tensor, label: Tensor, weight: Tensor,
                                 ignore_index: int = 255) -> Tensor:
    """Cross-entropy x per-pixel weight, mean over ALL pixels (mmseg 0.16's reduction).

    Args:
        logits (Tensor): (B, N, H, W) logits at the label's resolution.
        label (Tensor): (B, H, W) long, ``ignore_index`` where unlabeled.
        weight (Tensor): (B, H, W) float weight.
        ignore_index (int): Label value without loss. Default: 255.

    Returns:
        Tensor: Scalar loss.
    """
    ce = F.cross_entropy(logits, label, reduction='none', ignore_index=ignore_index)
    return (ce * weight).mean()


@MODELS.register_module()
class DACSStrongTransform:
    """DACS's photometric augmentation of mixed (and MIC's masked) images, on the GPU.

    As the anchor (``dacs_transforms.strong_transform``): two uniform numbers are drawn
    per batch; colour jitter is applied when the first exceeds ``color_jitter_prob``
    (i.e. with probability 1 - p), Gaussian blur when the second exceeds ``blur_prob``.
    The jitter factors and the blur sigma are then drawn per image. Images are
    de-normalised to [0, 1], jittered, re-normalised; blur works on normalised images.

    Args:
        color_jitter_strength (float): s of brightness/contrast/saturation factors
            U(1 - s, 1 + s) and hue U(-s, s). Default: 0.2.
        color_jitter_prob (float): Threshold p of the jitter draw. Default: 0.2.
        blur (bool): Whether blur may be applied. Default: True.
        blur_prob (float): Threshold of the blur draw. Default: 0.5.
        blur_sigma (tuple[float, float]): Range of the blur sigma. Default: (0.15, 1.15).
        blur_kernel_ratio (float): Kernel size ~ this fraction of the image side, made
            odd as the anchor does. Default: 0.1.
    """

    def __init__(self, color_jitter_strength: float = 0.2, color_jitter_prob: float = 0.2,
                 blur: bool = True, blur_prob: float = 0.5,
                 blur_sigma: Tuple[float, float] = (0.15, 1.15),
                 blur_kernel_ratio: float = 0.1) -> None:
        if not 0 <= color_jitter_strength <= 0.5:
            raise ValueError(f'color_jitter_strength must lie in [0, 0.5] (hue range), got '
                             f'{color_jitter_strength}')
        self.color_jitter_strength = color_jitter_strength
        self.color_jitter_prob = color_jitter_prob
        self.blur = blur
        self.blur_prob = blur_prob
        self.blur_sigma = tuple(blur_sigma)
        self.blur_kernel_ratio = blur_kernel_ratio

    @staticmethod
    def kernel_size(side: int, ratio: float = 0.1) -> int:
        """The anchor's odd kernel size: floor(ceil(r s) - 0.5 + ceil(r s) % 2)."""
        k = math.ceil(ratio * side)
        return k if k % 2 else k - 1

    def __call__(self, imgs: Tensor, mean: Tensor, std: Tensor) -> Tensor:
        """Augment normalised images.

        Args:
            imgs (Tensor): (B, 3, H, W) normalised images.
            mean (Tensor): (3, 1, 1) normalisation mean, 0-255 scale.
            std (Tensor): (3, 1, 1) normalisation std, 0-255 scale.

        Returns:
            Tensor: (B, 3, H, W) augmented normalised images (a new tensor).
        """
        draw = torch.rand(2).tolist()
        out = imgs
        if draw[0] > self.color_jitter_prob and self.color_jitter_strength > 0:
            unit = (imgs * std + mean) / 255.0
            unit = torch.stack([self._jitter(img) for img in unit])
            out = (unit * 255.0 - mean) / std
        if self.blur and draw[1] > self.blur_prob:
            ky = self.kernel_size(imgs.shape[-2], self.blur_kernel_ratio)
            kx = self.kernel_size(imgs.shape[-1], self.blur_kernel_ratio)
            low, high = self.blur_sigma
            blurred = []
            for img in out:
                sigma = float(low + (high - low) * torch.rand(1))
                blurred.append(TF.gaussian_blur(img, kernel_size=[kx, ky], sigma=[sigma, sigma]))
            out = torch.stack(blurred)
        return out

    def _jitter(self, img: Tensor) -> Tensor:
        """(3, H, W) in [0, 1] -> jittered, the four operations in random order."""
        s = self.color_jitter_strength
        factors = (torch.rand(4) * 2 - 1) * s
        ops = (lambda x: TF.adjust_brightness(x, 1 + float(factors[0])),
               lambda x: TF.adjust_contrast(x, 1 + float(factors[1])),
               lambda x: TF.adjust_saturation(x, 1 + float(factors[2])),
               lambda x: TF.adjust_hue(x, float(factors[3])))
        for i in torch.randperm(4).tolist():
            img = ops[i](img).clamp(0, 1)
        return img


def downscale_label_ratio(label: Tensor, size: Tuple[int, int], min_ratio: float,
                          num_classes: int, ignore_index: int = 255) -> Tensor:
    """Per feature position, the majority class of its label patch if it covers >= ``min_ratio``.

    The patches are those of adaptive average pooling to ``size``: for a label side that is
    a multiple of the feature side (MiT, ResNet) these are DAFormer's ``scale x scale``
    patches; patch-14 encoders (EVA02 at 512 px: 37 tokens) get near-equal patches.

    Args:
        label (Tensor): (B, H, W) long labels.
        size (tuple[int, int]): Feature size (h, w).
        min_ratio (float): Share of the patch the class must cover.
        num_classes (int): Number of classes (``ignore_index`` counts as one more).
        ignore_index (int): Label of unlabeled pixels and of mixed patches.

    Returns:
        Tensor: (B, h, w) long.
    """
    lab = label.clone()
    lab[(lab == ignore_index) | (lab < 0) | (lab >= num_classes)] = num_classes
    onehot = F.one_hot(lab, num_classes + 1).permute(0, 3, 1, 2).float()
    share = F.adaptive_avg_pool2d(onehot, tuple(size))
    ratio, out = share.max(dim=1)
    out[out == num_classes] = ignore_index
    out[ratio < min_ratio] = ignore_index
    return out


@MODELS.register_module()
class ImageNetFeatureDistance:
    """DAFormer's feature distance to a frozen copy of the initial encoder.

    FD = lambda x mean over masked positions of ||f - f_ref||_2 (over channels) of the
    encoder stage ``layer``; a position counts when the source label of its patch is
    >= ``min_ratio`` one class of ``classes`` (DAFormer: the thing classes).

    Args:
        loss_weight (float): lambda. Default: 0.005 (DAFormer).
        classes (Sequence[int], optional): Classes the distance applies to; None applies
            it everywhere. Default: the Cityscapes thing classes (6, 7, 11-18).
        min_ratio (float): Patch purity. Default: 0.75.
        layer (int): Index into the encoder's outputs. Default: -1 (the last stage).
        empty (str): With no qualifying position in the batch: ``'zero'`` returns 0
            (here), ``'nan'`` the anchor's mean over an empty set. Default: 'zero'.
    """

    def __init__(self, loss_weight: float = 0.005,
                 classes: Optional[Sequence[int]] = CITYSCAPES_THING_CLASSES,
                 min_ratio: float = 0.75, layer: int = -1, empty: str = 'zero') -> None:
        if empty not in ('zero', 'nan'):
            raise ValueError(f"feature_distance.empty must be 'zero' or 'nan', got {empty!r}")
        self.loss_weight = loss_weight
        self.classes = None if classes is None else tuple(int(c) for c in classes)
        self.min_ratio = min_ratio
        self.layer = layer
        self.empty = empty

    def mask(self, label: Tensor, feat_size: Tuple[int, int], num_classes: int,
             ignore_index: int = 255) -> Tensor:
        """(B, h, w) bool positions of a (B, H, W) label where the distance applies."""
        down = downscale_label_ratio(label, feat_size, self.min_ratio, num_classes, ignore_index)
        if self.classes is None:
            return down != ignore_index
        return torch.isin(down, torch.tensor(self.classes, device=down.device))

    def __call__(self, feat: Tensor, ref_feat: Tensor, mask: Tensor) -> Tensor:
        """lambda x mean_{mask} ||feat - ref_feat||_2; feat, ref_feat (B, C, h, w)."""
        dist = torch.norm(feat - ref_feat.detach(), p=2, dim=1)
        if not mask.any() and self.empty == 'zero':
            return feat.sum() * 0.0  # keeps the graph (DDP) without a NaN
        return self.loss_weight * dist[mask].mean()


@MODELS.register_module()
class MaskedImageConsistency:
    """MIC: the student predicts the teacher's pseudo-labels on a block-masked target.

    A (B, 1, round(H / b), round(W / b)) uniform grid keeps a block when its number
    exceeds ``mask_ratio``; the grid is resized (nearest) to the image and multiplies it
    (masked pixels become 0, i.e. the normalised mean). The masked view gets the host
    method's colour augmentation first (``color_augment``).

    Args:
        block_size (int): Block side b in pixels. Default: 64 (MIC at 1024 px crops;
            32 at 512 px).
        mask_ratio (float): Share of masked blocks. Default: 0.7.
        loss_weight (float): lambda of the masked loss. Default: 1.0.
        color_augment (bool): Apply the method's photometric augmentation to the masked
            view. Default: True.
    """

    def __init__(self, block_size: int = 64, mask_ratio: float = 0.7, loss_weight: float = 1.0,
                 color_augment: bool = True) -> None:
        if block_size < 1 or not 0 <= mask_ratio < 1:
            raise ValueError(f'MIC needs block_size >= 1 and mask_ratio in [0, 1), got '
                             f'block_size={block_size}, mask_ratio={mask_ratio}')
        self.block_size = block_size
        self.mask_ratio = mask_ratio
        self.loss_weight = loss_weight
        self.color_augment = color_augment

    def keep_mask(self, imgs: Tensor) -> Tensor:
        """(B, 1, H, W) float: 1 where the image is kept, 0 where masked."""
        b, _, h, w = imgs.shape
        grid = torch.rand((b, 1, round(h / self.block_size), round(w / self.block_size)),
                          device=imgs.device)
        keep = (grid > self.mask_ratio).float()
        return F.interpolate(keep, size=(h, w), mode='nearest')

    def mask_image(self, imgs: Tensor) -> Tensor:
        """(B, 3, H, W) -> block-masked copy."""
        return imgs * self.keep_mask(imgs)


def build_part(cfg: Optional[Dict], default_type: str):
    """Build an optional self-training part from a dict (``type`` may be omitted)."""
    if cfg is None:
        return None
    if not isinstance(cfg, dict):
        return cfg
    cfg = dict(cfg)
    cfg.setdefault('type', default_type)
    return MODELS.build(cfg)


__all__ = [
    'CITYSCAPES_THING_CLASSES', 'DACSStrongTransform', 'ImageNetFeatureDistance',
    'MaskedImageConsistency', 'confident_fraction_weight', 'downscale_label_ratio',
    'pixel_weighted_cross_entropy', 'build_part'
]
