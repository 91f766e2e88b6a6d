"""SemiVL: UniMatch plus dense CLIP guidance from a frozen reference CLIP (Sec. 3.5)."""
from __future__ import annotations

from typing import Dict, List, Optional, Tuple

import torch
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from mmseg.utils import ConfigType, OptConfigType
from torch import Tensor

from ..utils.clip_guidance import GUIDANCE_SCHEDULES, DenseCLIPGuidance
from .unimatch import UniMatchSegmentor


@MODELS.register_module()
class SemiVLSegmentor(UniMatchSegmentor):
    """UniMatch with dense CLIP guidance: a frozen CLIP labels the weak views too.

    The guidance CLIP is the frozen model ``guidance``. Its labels and confidences are
    mixed like the pseudo-labels, and every view v adds
    ``loss_guidance_<v>`` = lambda_t x w_v x M(p_v, guidance labels), with
    lambda_t = lambda_0 (1 - t / T) read from the runner's message hub (a resumed run
    continues the schedule).

    Args:
        student (ConfigType): The student segmentor config.
        guidance (ConfigType, optional): The frozen dense CLIP (``DenseCLIPZeroShot``).
            None disables dense CLIP guidance (UniMatch; Table 6 rows without it).
        loss_guidance (ConfigType): Guidance loss; zeta = 0.9, normalised by all pixels.
        guidance_weight (float): lambda_0 (paper: 0.1).
        guidance_schedule (str): ``'linear'`` decays lambda to 0 over the run;
            ``'constant'`` keeps lambda_0.
        guidance_temperature (float): Softmax temperature of CLIP's cosine scores
            (paper: 100).
        guidance_threshold (float, optional): zeta of the logged guidance coverage and
            of the visualised guidance. Default: None = the ``threshold`` of the
            ``loss_guidance`` config (0.9).
        **kwargs: :class:`UniMatchSegmentor` arguments.
    """

    def __init__(self,
                 student: ConfigType,
                 guidance: OptConfigType = None,
                 loss_guidance: ConfigType = dict(
                     type='ConfidenceMaskedCrossEntropy', threshold=0.9, normalizer='all'),
                 guidance_weight: float = 0.1,
                 guidance_schedule: str = 'linear',
                 guidance_temperature: float = 100.0,
                 guidance_threshold: Optional[float] = None,
                 **kwargs) -> None:
        super().__init__(student, **kwargs)
        # The shared dense-guidance part (models/utils/clip_guidance.py, also DACS's).
        self.dense_guidance = DenseCLIPGuidance(
            loss=loss_guidance, weight=guidance_weight, schedule=guidance_schedule,
            temperature=guidance_temperature, threshold=guidance_threshold,
            ignore_index=self.student.decode_head.ignore_index)
        self.loss_guidance = self.dense_guidance.loss_fn
        self.add_frozen_model('guidance', MODELS.build(guidance) if guidance is not None else None)

    @property
    def with_guidance(self) -> bool:
        return self.guidance is not None

    # The part's settings under SemiVL's names (configs, tools and tests use them).
    guidance_weight = property(lambda self: self.dense_guidance.weight,
                               lambda self, v: setattr(self.dense_guidance, 'weight', v))
    guidance_schedule = property(lambda self: self.dense_guidance.schedule)
    guidance_temperature = property(
        lambda self: self.dense_guidance.temperature,
        lambda self, v: setattr(self.dense_guidance, 'temperature', v))
    guidance_threshold = property(lambda self: self.dense_guidance.threshold,
                                  lambda self, v: setattr(self.dense_guidance, 'threshold', v))

    def current_guidance_weight(self) -> float:
        """lambda_t = lambda_0 * (1 - t / T) with t, T from the runner's message hub."""
        return self.dense_guidance.current_weight()

    # ------------------------------------------------------------------ the guidance terms
    def extra_targets(self, weak: Tensor, valid: Tensor) -> Dict[str, Tensor]:
        guide_conf, guide_label = self._guidance_targets(weak, valid)
        if guide_label is None:
            return {}
        return dict(guide_label=guide_label, guide_conf=guide_conf)

    def view_losses(self, view: str, pred: Tensor,
                    targets: Dict[str, Tensor]) -> Dict[str, Tensor]:
        losses = super().view_losses(view, pred, targets)
        if 'guide_label' in targets:
            losses[f'loss_guidance_{view}'] = self.dense_guidance.loss(
                pred, targets['guide_label'], targets['guide_conf'], targets['valid'],
                factor=self.view_weights[view])
        return losses

    @torch.no_grad()
    def unlabeled_statistics(self, conf: Tensor, label: Tensor, valid: Tensor,
                             extra: Dict[str, Tensor],
                             samples: List[SegDataSample]) -> Dict[str, Tensor]:
        stats = super().unlabeled_statistics(conf, label, valid, extra, samples)
        if 'guide_conf' in extra:
            stats.update(self.dense_guidance.statistics(extra['guide_conf'], valid))
        return stats

    @torch.no_grad()
    def _guidance_targets(self, weak: Tensor,
                          valid: Tensor) -> Tuple[Optional[Tensor], Optional[Tensor]]:
        """Dense CLIP labels of the weak views: (B_u, H, W) confidence and label."""
        if self.guidance is None:
            return None, None
        return self.dense_guidance.targets(self.guidance, weak, valid, self.align_corners)

    @torch.no_grad()
    def predict_training_targets(self, inputs: Tensor) -> Dict[str, Tensor]:
        """UniMatch's maps plus, with guidance, 'guidance': dense CLIP labels where the
        confidence >= ``guidance_threshold``, else ignore; all (B, H, W) long."""
        maps = super().predict_training_targets(inputs)
        if self.guidance is not None:
            valid = torch.ones_like(maps['prediction'], dtype=torch.bool)
            guide_conf, guide_label = self._guidance_targets(inputs, valid)
            maps['guidance'] = self.dense_guidance.confident_labels(guide_conf, guide_label)
        return maps


__all__ = ['SemiVLSegmentor', 'GUIDANCE_SCHEDULES']
