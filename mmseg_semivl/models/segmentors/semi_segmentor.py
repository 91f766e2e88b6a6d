"""SemiVL's segmentor: UniMatch consistency training with dense CLIP guidance."""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.logging import MessageHub
from mmseg.models.segmentors import EncoderDecoder
from mmseg.models.utils import resize
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from mmseg.utils import ConfigType, OptConfigType, OptMultiConfig
from torch import Tensor

from ..utils import MixPartnerSelector, box_mix

SampleDict = Dict[str, List[SegDataSample]]


@MODELS.register_module()
class SemiSupervisedSegmentor(EncoderDecoder):
    """Encoder-decoder trained on a labeled and an unlabeled stream (SemiVL).

    Training batches come from :class:`SemiSegDataPreProcessor` as dicts of branches:
    ``inputs = {'labeled', 'weak', 'strong1', 'strong2'}`` and
    ``data_samples = {'labeled', 'unlabeled'}``. A plain tensor batch trains
    supervised only, exactly like MMSeg's :class:`EncoderDecoder`; inference
    (``whole`` or ``slide``) is MMSeg's, on the trained student.

    One step (facts file, "Training step"), with ``B_l`` labeled and ``B_u``
    unlabeled images::

        guidance  = frozen CLIP(w)                      no grad, once per image
        p_x, p_w, p_fp = head(enc(cat(x, w)), perturb w) one encoder pass
        y_w, c_w  = argmax / max softmax(p_w)           no grad
        s1', s2'  = CutMix(s1, s2) with partner images
        p_s1, p_s2 = head(enc(cat(s1', s2')))
        loss = sup_weight * CE(p_x, y)
             + unsup_weight * sum_v w_v * L_u(p_v, y_w mixed)      v in s1, s2, fp
             + lambda_t * sum_v w_v * M(p_v, guidance mixed)

    Args:
        backbone (ConfigType): The trained encoder (e.g. ``CLIPVisionTransformer``).
        decode_head (ConfigType): A head with the ``forward(inputs, num_perturbed)``
            contract (``LanguageGuidedHead``, ``DeepLabV3PlusViTHead``).
        guidance (ConfigType, optional): The frozen dense CLIP (``DenseCLIPZeroShot``)
            whose confident predictions guide the unlabeled loss. None disables
            dense CLIP guidance (Table 6 rows without it).
        use_consistency (bool): Train on unlabeled images at all. False gives the
            supervised-only baseline even with a two-stream loader.
        use_feature_perturbation (bool): Add UniMatch's feature-perturbed view.
        sup_weight (float): Weight of the supervised CE (paper: 1/2).
        unsup_weight (float): Weight of the consistency terms (paper: 1/2).
        view_weights (Sequence[float]): Weights of the (strong1, strong2, fp) views,
            shared by the consistency and guidance terms (paper: 0.25, 0.25, 0.5).
        loss_consistency (ConfigType): Consistency loss; tau = 0.95, normalised by
            the number of valid pixels.
        loss_guidance (ConfigType): Guidance loss; zeta = 0.9, normalised by all pixels.
        guidance_weight (float): lambda_0 of the guidance term (paper: 0.1).
        guidance_schedule (str): ``'linear'`` decays lambda to 0 over the run
            (read from the runner's message hub, so resuming continues it);
            ``'constant'`` keeps lambda_0.
        guidance_temperature (float): Softmax temperature of CLIP's cosine scores.
        log_pseudo_label_miou (bool): Log the mIoU of the weak-view pseudo-labels
            against the unlabeled ground truth when the samples carry it.
        neck, auxiliary_head, train_cfg, test_cfg, data_preprocessor, pretrained,
            init_cfg: As in :class:`EncoderDecoder`.
    """

    VIEWS = ('s1', 's2', 'fp')

    def __init__(self,
                 backbone: ConfigType,
                 decode_head: ConfigType,
                 guidance: OptConfigType = None,
                 use_consistency: bool = True,
                 use_feature_perturbation: bool = True,
                 sup_weight: float = 0.5,
                 unsup_weight: float = 0.5,
                 view_weights: Sequence[float] = (0.25, 0.25, 0.5),
                 loss_consistency: ConfigType = dict(
                     type='ConfidenceMaskedCrossEntropy', threshold=0.95, normalizer='valid'),
                 loss_guidance: ConfigType = dict(
                     type='ConfidenceMaskedCrossEntropy', threshold=0.9, normalizer='all'),
                 guidance_weight: float = 0.1,
                 guidance_schedule: str = 'linear',
                 guidance_temperature: float = 100.0,
                 log_pseudo_label_miou: bool = True,
                 neck: OptConfigType = None,
                 auxiliary_head: OptConfigType = None,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 pretrained: Optional[str] = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(
            backbone=backbone,
            decode_head=decode_head,
            neck=neck,
            auxiliary_head=auxiliary_head,
            train_cfg=train_cfg,
            test_cfg=test_cfg,
            data_preprocessor=data_preprocessor,
            pretrained=pretrained,
            init_cfg=init_cfg)
        if len(view_weights) != len(self.VIEWS):
            raise ValueError(f'view_weights needs {len(self.VIEWS)} values for '
                             f'{self.VIEWS}, got {tuple(view_weights)}')
        if guidance_schedule not in ('linear', 'constant'):
            raise ValueError("guidance_schedule must be 'linear' or 'constant', "
                             f'got {guidance_schedule!r}')
        self.use_consistency = use_consistency
        self.use_feature_perturbation = use_feature_perturbation
        self.sup_weight = sup_weight
        self.unsup_weight = unsup_weight
        self.view_weights = dict(zip(self.VIEWS, view_weights))
        self.loss_consistency = MODELS.build(loss_consistency)
        self.loss_guidance = MODELS.build(loss_guidance)
        self.guidance_weight = guidance_weight
        self.guidance_schedule = guidance_schedule
        self.guidance_temperature = guidance_temperature
        self.log_pseudo_label_miou = log_pseudo_label_miou
        self.guidance = self._build_guidance(guidance) if guidance is not None else None
        self.mix_partners = MixPartnerSelector()

    # ------------------------------------------------------------------ set-up
    def _build_guidance(self, cfg: ConfigType) -> nn.Module:
        guidance = MODELS.build(cfg)
        guidance.requires_grad_(False)
        guidance.eval()
        # The frozen CLIP is rebuilt from its own `pretrained` weights at start-up;
        # leaving it out of checkpoints saves a full encoder per file.
        self._register_state_dict_hook(_drop_guidance_keys)
        self._register_load_state_dict_pre_hook(_ignore_guidance_keys, with_module=True)
        return guidance

    def train(self, mode: bool = True) -> 'SemiSupervisedSegmentor':
        super().train(mode)
        if self.guidance is not None:
            self.guidance.eval()  # frozen reference: never in training mode
        return self

    # EncoderDecoder copies these from the head once, at build time. The head's class
    # list can change later (open vocabulary, checkpoints with another vocabulary), so
    # they always follow the head; assignments by the parent constructor are ignored.
    @property
    def num_classes(self) -> int:
        return self.decode_head.num_classes

    @num_classes.setter
    def num_classes(self, value: int) -> None:
        pass

    @property
    def out_channels(self) -> int:
        return self.decode_head.out_channels

    @out_channels.setter
    def out_channels(self, value: int) -> None:
        pass

    @property
    def with_guidance(self) -> bool:
        return self.guidance is not None

    # ------------------------------------------------------------------ schedule
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

    # ------------------------------------------------------------------ training
    def loss(self, inputs: Union[Tensor, Dict[str, Tensor]],
             data_samples: Union[List[SegDataSample], SampleDict]) -> Dict[str, Tensor]:
        """Compute the named, already-weighted loss terms and logged statistics.

        Args:
            inputs (Tensor | dict[str, Tensor]): A plain (B, 3, H, W) batch, or the
                branches 'labeled' (B_l, 3, H, W) and, optionally, 'weak', 'strong1',
                'strong2' (B_u, 3, H, W) of one crop size.
            data_samples (list | dict): The matching data samples, grouped into
                'labeled' and 'unlabeled' for branch inputs.

        Returns:
            dict[str, Tensor]: Terms whose key contains 'loss' are summed by MMEngine;
            the rest (confident fraction, guidance coverage, lambda_t, ...) are logged.
        """
        if not isinstance(inputs, dict):
            return super().loss(inputs, data_samples)
        if 'labeled' not in inputs:
            raise KeyError("a semi-supervised batch needs a 'labeled' branch; got "
                           f'branches {sorted(inputs)}')
        labeled, labeled_samples = inputs['labeled'], data_samples['labeled']
        if not self.use_consistency or 'weak' not in inputs:
            return self._supervised_loss(self.extract_feat(labeled), labeled_samples)
        return self._semi_supervised_loss(labeled, labeled_samples, inputs['weak'],
                                          inputs['strong1'], inputs['strong2'],
                                          data_samples['unlabeled'])

    def _supervised_loss(self, feats: Sequence[Tensor],
                         samples: List[SegDataSample],
                         logits: Optional[Tensor] = None) -> Dict[str, Tensor]:
        if logits is None:
            logits = self.decode_head(feats)
        sup = self.decode_head.loss_by_feat(logits, samples)
        losses = {f'decode.{k}': v * self.sup_weight if 'loss' in k else v for k, v in sup.items()}
        if self.with_auxiliary_head:
            losses.update(self._auxiliary_head_forward_train(feats, samples))
        return losses

    def _semi_supervised_loss(self, labeled: Tensor, labeled_samples: List[SegDataSample],
                              weak: Tensor, strong1: Tensor, strong2: Tensor,
                              unlabeled_samples: List[SegDataSample]) -> Dict[str, Tensor]:
        num_labeled, num_unlabeled = labeled.shape[0], weak.shape[0]
        size = weak.shape[-2:]
        valid = _stack_pixel_field(unlabeled_samples, 'valid_mask').bool()
        boxes = (_stack_pixel_field(unlabeled_samples, 'cutmix_box1'),
                 _stack_pixel_field(unlabeled_samples, 'cutmix_box2'))
        guide_conf, guide_label = self._guidance_targets(weak, valid)

        # One encoder pass over labeled + weak; the head appends the perturbed weak view.
        feats = self.extract_feat(torch.cat([labeled, weak]))
        num_fp = num_unlabeled if self.use_feature_perturbation else 0
        logits = self.decode_head(feats, num_perturbed=num_fp)
        logits_x, logits_w, logits_fp = logits.split([num_labeled, num_unlabeled, num_fp])
        losses = self._supervised_loss(feats, labeled_samples, logits=logits_x)

        with torch.no_grad():
            prob_w = self._upsample(logits_w.detach(), size).softmax(dim=1)
            conf_w, label_w = prob_w.max(dim=1)

        # Every per-pixel target is mixed with the same boxes as the images.
        own = dict(s1=strong1, s2=strong2, label=label_w, conf=conf_w, valid=valid)
        if guide_label is not None:
            own.update(guide_label=guide_label, guide_conf=guide_conf)
        partner = self.mix_partners(own)
        targets = {'fp': own}
        for view, box in zip(('s1', 's2'), boxes):
            targets[view] = {k: box_mix(v, partner[k], box) for k, v in own.items()}
        logits_s1, logits_s2 = self.decode_head(
            self.extract_feat(torch.cat([targets['s1']['s1'], targets['s2']['s2']]))).chunk(2)

        preds = dict(s1=logits_s1, s2=logits_s2)
        if self.use_feature_perturbation:
            preds['fp'] = logits_fp
        lambda_t = self.current_guidance_weight()
        for view, view_logits in preds.items():
            pred = self._upsample(view_logits, size)
            t = targets[view]
            weight = self.view_weights[view]
            losses[f'loss_{view}'] = self.unsup_weight * weight * self.loss_consistency(
                pred, t['label'], t['conf'], t['valid'])
            if guide_label is not None:
                losses[f'loss_guidance_{view}'] = lambda_t * weight * self.loss_guidance(
                    pred, t['guide_label'], t['guide_conf'], t['valid'])

        losses.update(self._unlabeled_statistics(conf_w, label_w, valid, guide_conf,
                                                 unlabeled_samples))
        if guide_label is not None:
            losses['lambda_guidance'] = torch.tensor(lambda_t, device=weak.device)
        return losses

    @torch.no_grad()
    def _guidance_targets(self, weak: Tensor,
                          valid: Tensor) -> Tuple[Optional[Tensor], Optional[Tensor]]:
        """Dense CLIP labels of the weak views: (B_u, H, W) confidence and label."""
        if self.guidance is None:
            return None, None
        scores = self._upsample(self.guidance(weak).float(), weak.shape[-2:])
        conf, label = (scores * self.guidance_temperature).softmax(dim=1).max(dim=1)
        label = label.masked_fill(~valid, self.decode_head.ignore_index)
        return conf, label

    @torch.no_grad()
    def predict_training_targets(self, inputs: Tensor) -> Dict[str, Tensor]:
        """What training sees for unlabeled images, for visualisation and analysis.

        Args:
            inputs (Tensor): Normalised images, (B, 3, H, W) of one size.

        Returns:
            dict[str, Tensor]: (B, H, W) long maps 'prediction' (the student's argmax),
            'pseudo_label' (the same where confidence >= tau, else ignore) and, with
            guidance, 'guidance' (dense CLIP labels where confidence >= zeta, else
            ignore).
        """
        ignore = self.decode_head.ignore_index
        prob = self._upsample(self.decode_head(self.extract_feat(inputs)),
                              inputs.shape[-2:]).softmax(dim=1)
        conf, label = prob.max(dim=1)
        maps = dict(
            prediction=label,
            pseudo_label=label.masked_fill(conf < self.loss_consistency.threshold, ignore))
        if self.guidance is not None:
            valid = torch.ones_like(label, dtype=torch.bool)
            guide_conf, guide_label = self._guidance_targets(inputs, valid)
            maps['guidance'] = guide_label.masked_fill(
                guide_conf < self.loss_guidance.threshold, ignore)
        return maps

    def _upsample(self, logits: Tensor, size: torch.Size) -> Tensor:
        return resize(logits, size=size, mode='bilinear',
                      align_corners=self.decode_head.align_corners)

    @torch.no_grad()
    def _unlabeled_statistics(self, conf_w: Tensor, label_w: Tensor, valid: Tensor,
                              guide_conf: Optional[Tensor],
                              samples: List[SegDataSample]) -> Dict[str, Tensor]:
        num_valid = valid.sum().clamp(min=1)
        stats = {
            'confident_ratio':
            ((conf_w >= self.loss_consistency.threshold) & valid).sum() / num_valid
        }
        if guide_conf is not None:
            stats['guidance_coverage'] = (
                (guide_conf >= self.loss_guidance.threshold) & valid).sum() / num_valid
        if self.log_pseudo_label_miou and all('gt_sem_seg' in s for s in samples):
            gt = _stack_pixel_field(samples, 'gt_sem_seg').long()
            stats['pseudo_label_miou'] = _batch_miou(label_w, gt, self.decode_head.num_classes,
                                                     self.decode_head.ignore_index)
        return stats


def _stack_pixel_field(samples: List[SegDataSample], field: str) -> Tensor:
    """Stack a PixelData field of every sample: list of (1, H, W) -> (B, H, W)."""
    try:
        return torch.stack([getattr(s, field).data.squeeze(0) for s in samples])
    except AttributeError as err:
        raise KeyError(f'unlabeled data samples lack the field {field!r}; the unlabeled '
                       'pipeline must end with PackSemiInputs(branch="unlabeled")') from err


def _batch_miou(pred: Tensor, gt: Tensor, num_classes: int, ignore_index: int) -> Tensor:
    """mIoU over the classes present in prediction or ground truth of this batch."""
    keep = gt != ignore_index
    index = gt[keep] * num_classes + pred[keep]
    confusion = torch.bincount(index, minlength=num_classes**2).reshape(
        num_classes, num_classes).float()
    intersection = confusion.diag()
    union = confusion.sum(0) + confusion.sum(1) - intersection
    present = union > 0
    if not present.any():
        return torch.zeros((), device=pred.device)
    return (intersection[present] / union[present]).mean()


def _drop_guidance_keys(module: nn.Module, state_dict: dict, prefix: str,
                        local_metadata: dict) -> dict:
    for key in [k for k in state_dict if k.startswith(prefix + 'guidance.')]:
        del state_dict[key]
    return state_dict


def _ignore_guidance_keys(module: nn.Module, state_dict: dict, prefix: str,
                          local_metadata: dict, strict: bool, missing_keys: list,
                          unexpected_keys: list, error_msgs: list) -> None:
    # Checkpoints never carry the frozen guidance CLIP; fill in the live weights so
    # strict loading (MMSeg's init_model, resume) does not report them missing.
    for key, value in module.guidance.state_dict(prefix=prefix + 'guidance.').items():
        state_dict.setdefault(key, value)


__all__ = ['SemiSupervisedSegmentor']
