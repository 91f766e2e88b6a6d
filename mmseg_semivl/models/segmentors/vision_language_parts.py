"""The vision-language parts of domain adaptation (issue 21), shared by every UDA method.

SemiVL's frozen dense CLIP as an option of a UDA segmentor:

* ``clip_guidance``: its confident dense labels on the target images are a second target
  of the student's target prediction (``unsup.loss_guidance`` = lambda_t x M(p, guidance),
  lambda_0 0.1 with the linear decay, zeta 0.9, concepts-max);
* ``vl_feature_distance``: the student backbone's CLIP-aligned dense embedding is kept
  close to the frozen CLIP's on the source images where the CLIP is confident
  (``sup.loss_vl_fd``), the CLIP-native replacement of DAFormer's ImageNet FD.

:class:`VisionLanguageParts` is a mixin of :class:`TeacherStudentSegmentor` subclasses
(DACS and its family, the adversarial methods): it builds the parts and computes the
targets and terms; each method calls them from its own steps. A method declares
``wires_vision_language = True`` on every class whose steps call them; a subclass that
replaces one of those steps without declaring it is refused at build (its step would
silently drop the term).
"""
from __future__ import annotations

import contextlib
import inspect
from typing import Dict, Iterator, List, Sequence, Tuple

import torch
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from mmseg.utils import OptConfigType
from torch import Tensor

from ..utils import add_prefix
from ..utils.clip_guidance import CLIP_MEAN, CLIP_STD
from ..utils.self_training import build_part

#: Name of the frozen dense CLIP of the vision-language parts (as SemiVL's).
GUIDANCE_MODEL = 'guidance'
#: ``clip_guidance.source_pixels`` values: what the guidance target is on pasted source pixels.
GUIDANCE_SOURCE_PIXELS = ('ignore', 'ground_truth')


class VisionLanguageParts:
    """Mixin: dense CLIP guidance and the vision-language feature distance.

    Expects the host to be a :class:`TeacherStudentSegmentor` with ``ignore_index``.
    After :meth:`build_vision_language_parts`: ``dense_guidance``
    (:class:`~mmseg_semivl.models.utils.DenseCLIPGuidance` or None),
    ``with_clip_guidance`` (bool), ``vl_feature_distance``
    (:class:`~mmseg_semivl.models.utils.VisionLanguageFeatureDistance` or None) and the
    frozen model ``guidance``.
    """

    #: The host's steps that call the parts (checked in subclasses, see the module doc).
    vision_language_steps: Tuple[str, ...] = ()
    #: Set on every class whose own definitions of those steps call the parts.
    wires_vision_language = False

    def build_vision_language_parts(self, guidance: OptConfigType,
                                    clip_guidance: OptConfigType,
                                    vl_feature_distance: OptConfigType) -> None:
        """Build the parts; both terms None = the plain method (nothing is built).

        Args:
            guidance (dict, optional): The frozen dense CLIP (``DenseCLIPZeroShot``).
            clip_guidance (dict, optional): ``DenseCLIPGuidance`` arguments plus
                ``source_pixels`` (see :data:`GUIDANCE_SOURCE_PIXELS`).
            vl_feature_distance (dict, optional): ``VisionLanguageFeatureDistance``
                arguments plus ``guidance`` (the ``DenseCLIPGuidance`` arguments of its
                confidence when ``clip_guidance`` is None).
        """
        self.dense_guidance = None
        self.with_clip_guidance = clip_guidance is not None
        self.vl_feature_distance = None
        self.guidance_source_pixels = 'ignore'
        if clip_guidance is None and vl_feature_distance is None:
            return  # a `guidance` model without a term is not built: the plain method
        if guidance is None:
            raise ValueError('clip_guidance / vl_feature_distance need the frozen dense CLIP '
                             "`guidance` (e.g. dict(type='DenseCLIPZeroShot', ...))")
        self._check_vision_language_wiring()
        vl_cfg = None if vl_feature_distance is None else dict(vl_feature_distance)
        part_cfg = dict(clip_guidance) if clip_guidance is not None else {}
        own = vl_cfg.pop('guidance', None) if vl_cfg is not None else None
        if own is not None:
            if clip_guidance is not None:
                raise ValueError('vl_feature_distance.guidance is only for runs without '
                                 'clip_guidance (it then uses clip_guidance\'s settings)')
            part_cfg = dict(own)
        self.guidance_source_pixels = part_cfg.pop('source_pixels', 'ignore')
        if self.guidance_source_pixels not in GUIDANCE_SOURCE_PIXELS:
            raise ValueError(f'clip_guidance.source_pixels must be one of '
                             f'{GUIDANCE_SOURCE_PIXELS}, got {self.guidance_source_pixels!r}')
        part_cfg.setdefault('mean', CLIP_MEAN)
        part_cfg.setdefault('std', CLIP_STD)
        part_cfg.setdefault('ignore_index', self.ignore_index)
        self.dense_guidance = build_part(part_cfg, 'DenseCLIPGuidance')
        self.vl_feature_distance = build_part(vl_cfg, 'VisionLanguageFeatureDistance')
        # Built without touching the global random state, so that a run with and one
        # without the vision-language parts draw the same initialisation, data and
        # augmentations (a paired comparison).
        with torch.random.fork_rng(devices=[]):
            model = MODELS.build(guidance)
        if self.vl_feature_distance is not None and 'return_embedding' not in inspect.signature(
                model.forward).parameters:
            raise TypeError(f'vl_feature_distance needs a guidance model with '
                            f'forward(x, return_embedding) (DenseCLIPZeroShot), got {type(model)}')
        self.add_frozen_model(GUIDANCE_MODEL, model)

    def _check_vision_language_wiring(self) -> None:
        replaced = []
        for name in self.vision_language_steps:
            owner = next(c for c in type(self).__mro__ if name in c.__dict__)
            if not owner.__dict__.get('wires_vision_language', False):
                replaced.append(f'{owner.__name__}.{name}')
        if replaced:
            raise NotImplementedError(
                f'{type(self).__name__}: the steps {replaced} replace steps that the '
                'vision-language parts (clip_guidance, vl_feature_distance) plug into and '
                'do not call them (declare wires_vision_language = True once they do)')

    # ------------------------------------------------------------------ targets
    @torch.no_grad()
    def target_guidance(self, target: Tensor,
                        samples: List[SegDataSample]) -> Dict[str, Tensor]:
        """Dense CLIP labels of the target batch (the guidance CLIP's own tiling).

        Args:
            target (Tensor): (B, 3, H, W) target images, normalised by the pre-processor
                (re-normalised for the CLIP here).
            samples (list[SegDataSample]): Their samples (``valid_mask`` optional).

        Returns:
            dict[str, Tensor]: 'guide_label' (B, H, W) long (ignore on padding),
            'guide_conf' (B, H, W) float, 'guide_valid' (B, H, W) bool.
        """
        valid = self.valid_mask(samples, target)
        conf, label = self.dense_guidance.targets(self.guidance, target, valid,
                                                  self.align_corners, *self._norm_stats(target))
        return dict(guide_label=label, guide_conf=conf, guide_valid=valid)

    def guidance_source_partner(self, gt: Tensor, targets: Dict[str, Tensor]
                                ) -> Dict[str, Tensor]:
        """Guidance fields of pasted source pixels (mixed into the target like labels).

        Pasted source pixels are ignored (``source_pixels='ignore'``), or carry their
        ground truth at confidence 1 (``'ground_truth'``).

        Args:
            gt (Tensor): (B, H, W) source labels.
            targets (dict[str, Tensor]): The target's 'guide_conf' and 'guide_valid'.

        Returns:
            dict[str, Tensor]: 'guide_label', 'guide_conf', 'guide_valid' of the source.
        """
        on_gt = self.guidance_source_pixels == 'ground_truth'
        return dict(guide_label=gt if on_gt else torch.full_like(gt, self.ignore_index),
                    guide_conf=torch.full_like(targets['guide_conf'], 1.0 if on_gt else 0.0),
                    guide_valid=torch.ones_like(targets['guide_valid']))

    # ------------------------------------------------------------------ terms
    def loss_guidance(self, pred: Tensor, targets: Dict[str, Tensor]) -> Tensor:
        """lambda_t x M(pred, guidance) of (B, C, H, W) logits at the label size."""
        return self.dense_guidance.loss(pred, targets['guide_label'], targets['guide_conf'],
                                        targets['guide_valid'])

    def guidance_statistics(self, targets: Dict[str, Tensor]) -> Dict[str, Tensor]:
        """'unsup.guidance_coverage' and 'unsup.lambda_guidance' of the target batch."""
        return add_prefix('unsup.', self.dense_guidance.statistics(targets['guide_conf'],
                                                                   targets['guide_valid']))

    @contextlib.contextmanager
    def backbone_outputs(self) -> Iterator[List]:
        """Capture the student backbone's outputs (before any neck) of the passes inside.

        Yields an empty list when the VL feature distance is off (nothing is hooked).
        """
        captured: List = []
        if self.vl_feature_distance is None:
            yield captured
            return
        handle = self.student.backbone.register_forward_hook(
            lambda module, args, out: captured.append(out))
        try:
            yield captured
        finally:
            handle.remove()

    def loss_vl_feature_distance(self, source: Tensor, backbone_feats: Sequence[Tensor],
                                 gt: Tensor) -> Dict[str, Tensor]:
        """VL-FD between the student's and the frozen guidance CLIP's dense embeddings.

        Args:
            source (Tensor): (B, 3, H, W) source images (pre-processor normalisation).
            backbone_feats (Sequence[Tensor]): The student backbone's outputs of them.
            gt (Tensor): (B, H, W) source labels (for the ``'classes'`` mask).

        Returns:
            dict[str, Tensor]: 'loss_vl_fd' and the statistic 'vl_fd_share' (share of
            feature positions the distance covers).
        """
        vl_fd, part = self.vl_feature_distance, self.dense_guidance
        with torch.no_grad():
            images = part.renormalize(source, *self._norm_stats(source))
            scores, ref = self.guidance(images, return_embedding=True)
            conf, _ = part.targets_from_scores(scores.float())  # at the guidance's grid
        feat = backbone_feats[vl_fd.layer]
        mask = vl_fd.reference_mask(conf, gt, feat.shape[-2:],
                                    self.student.decode_head.num_classes, part.threshold,
                                    self.ignore_index)
        return dict(loss_vl_fd=vl_fd(feat, ref, mask), vl_fd_share=mask.float().mean().detach())


__all__ = ['GUIDANCE_MODEL', 'GUIDANCE_SOURCE_PIXELS', 'VisionLanguageParts']
