"""SemiVL: UniMatch plus dense CLIP guidance from a frozen reference CLIP (Sec. 3.5)."""
from __future__ import annotations

from typing import Dict, List, Optional, Tuple

import torch
from mmengine.logging import MessageHub
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from mmseg.utils import ConfigType, OptConfigType
from torch import Tensor

from .unimatch import UniMatchSegmentor

#: ``guidance_schedule`` values.
GUIDANCE_SCHEDULES = ('linear', 'constant')


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
        if guidance_schedule not in GUIDANCE_SCHEDULES:
            raise ValueError(f'guidance_schedule must be one of {GUIDANCE_SCHEDULES}, got '
                             f'{guidance_schedule!r}')
        self.loss_guidance = MODELS.build(loss_guidance)
        self.guidance_weight = guidance_weight
        self.guidance_schedule = guidance_schedule
        self.guidance_temperature = guidance_temperature
        self.guidance_threshold = (loss_guidance.get('threshold', 0.9)
                                   if guidance_threshold is None else guidance_threshold)
        self.add_frozen_model('guidance', MODELS.build(guidance) if guidance is not None else None)

    @property
    def with_guidance(self) -> bool:
        return self.guidance is not None

    def current_guidance_weight(self) -> float:
        """lambda_t = lambda_0 * (1 - t / T) with t, T from the runner's message hub."""
        if self.guidance_schedule == 'constant':
            return self.guidance_weight
        hub = MessageHub.get_current_instance()
        max_iters = hub.get_info('max_iters')
        if not max_iters:
            return self.guidance_weight
        progress = min(max(hub.get_info('iter', 0) / max_iters, 0.0), 1.0)
        return self.guidance_weight * (1.0 - progress)

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
            losses[f'loss_guidance_{view}'] = (
                self.current_guidance_weight() * self.view_weights[view] * self.loss_guidance(
                    pred, targets['guide_label'], targets['guide_conf'], targets['valid']))
        return losses

    @torch.no_grad()
    def unlabeled_statistics(self, conf: Tensor, label: Tensor, valid: Tensor,
                             extra: Dict[str, Tensor],
                             samples: List[SegDataSample]) -> Dict[str, Tensor]:
        stats = super().unlabeled_statistics(conf, label, valid, extra, samples)
        if 'guide_conf' in extra:
            num_valid = valid.sum().clamp(min=1)
            stats['guidance_coverage'] = (
                (extra['guide_conf'] >= self.guidance_threshold) & valid).sum() / num_valid
            stats['lambda_guidance'] = torch.tensor(self.current_guidance_weight(),
                                                    device=conf.device)
        return stats

    @torch.no_grad()
    def _guidance_targets(self, weak: Tensor,
                          valid: Tensor) -> Tuple[Optional[Tensor], Optional[Tensor]]:
        """Dense CLIP labels of the weak views: (B_u, H, W) confidence and label."""
        if self.guidance is None:
            return None, None
        scores = self._upsample(self.guidance(weak).float(), weak.shape[-2:])
        conf, label = (scores * self.guidance_temperature).softmax(dim=1).max(dim=1)
        label = label.masked_fill(~valid, self.student.decode_head.ignore_index)
        return conf, label

    @torch.no_grad()
    def predict_training_targets(self, inputs: Tensor) -> Dict[str, Tensor]:
        """UniMatch's maps plus, with guidance, 'guidance': dense CLIP labels where the
        confidence >= ``guidance_threshold``, else ignore; all (B, H, W) long."""
        maps = super().predict_training_targets(inputs)
        if self.guidance is not None:
            valid = torch.ones_like(maps['prediction'], dtype=torch.bool)
            guide_conf, guide_label = self._guidance_targets(inputs, valid)
            maps['guidance'] = guide_label.masked_fill(
                guide_conf < self.guidance_threshold, self.student.decode_head.ignore_index)
        return maps


__all__ = ['SemiVLSegmentor', 'GUIDANCE_SCHEDULES']
