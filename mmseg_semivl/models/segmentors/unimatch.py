"""UniMatch consistency training as a member of the teacher-student family."""
from __future__ import annotations

import inspect
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from mmseg.utils import ConfigType
from torch import Tensor

from ..utils import add_prefix, reweight_losses
from .teacher_student import SampleDict, TeacherStudentSegmentor, stack_pixel_field

#: Name of the feature-perturbed view.
FP_VIEW = 'fp'


@MODELS.register_module()
class UniMatchSegmentor(TeacherStudentSegmentor):
    """UniMatch: weak-to-strong consistency with CutMix and feature perturbation.

    One step, with ``B_l`` labeled and ``B_u`` unlabeled images and N strong views::

        p_x, p_w, p_fp = head(enc(cat(x, w)), perturb w)   one student encoder pass
        y_w, c_w  = argmax / max softmax(p_w)               no grad (or the teacher's)
        s_i'      = mix(s_i, partner) for i = 1..N          the mixer (CutMix boxes)
        p_s1..N   = head(enc(cat(s_1', ..., s_N')))
        loss = sup_weight * CE(p_x, y) + unsup_weight * sum_v w_v * L_u(p_v, y_w mixed)

    for v in s1 ... sN, fp. Heads with the ``forward(inputs, num_perturbed)`` contract
    (this package's) decode the perturbed copy in the same call; any other MMSeg head
    decodes it in a second call on ``Dropout2d(fp_dropout)``-ed backbone features.

    Args:
        student (ConfigType): The student segmentor config.
        use_consistency (bool): Train on unlabeled images at all. False gives the
            supervised-only baseline even with a two-stream loader.
        use_feature_perturbation (bool): Add the feature-perturbed view 'fp'.
        view_weights (Sequence[float]): Weights of the views (s1, ..., sN, fp), N + 1
            values; the fp weight is unused without feature perturbation
            (paper: 0.25, 0.25, 0.5).
        fp_dropout (float): ``Dropout2d`` rate of the generic feature perturbation
            (heads with the ``num_perturbed`` contract use their own). Default: 0.5.
        confidence_threshold (float, optional): tau of the logged confident fraction and
            of the visualised pseudo-labels. Default: None = the ``threshold`` of the
            ``loss_consistency`` config (0.95).
        log_pseudo_label_miou (bool): Log the mIoU of the weak-view pseudo-labels
            against the unlabeled ground truth when the samples carry it.
        semi_train_cfg (dict, optional): ``sup_weight``, ``unsup_weight`` (paper: 1/2 each).
        **kwargs: :class:`TeacherStudentSegmentor` arguments.
    """

    def __init__(self,
                 student: ConfigType,
                 use_consistency: bool = True,
                 use_feature_perturbation: bool = True,
                 view_weights: Sequence[float] = (0.25, 0.25, 0.5),
                 fp_dropout: float = 0.5,
                 confidence_threshold: Optional[float] = None,
                 log_pseudo_label_miou: bool = True,
                 loss_consistency: ConfigType = dict(
                     type='ConfidenceMaskedCrossEntropy', threshold=0.95, normalizer='valid'),
                 semi_train_cfg: Optional[dict] = None,
                 **kwargs) -> None:
        super().__init__(
            student,
            loss_consistency=loss_consistency,
            semi_train_cfg={'sup_weight': 0.5, 'unsup_weight': 0.5, **(semi_train_cfg or {})},
            **kwargs)
        self.use_consistency = use_consistency
        self.use_feature_perturbation = use_feature_perturbation
        # One weight per strong view and one for 'fp' (unused without perturbation),
        # so switching the perturbation off keeps the strong views' weights.
        views = (*self.view_names[:self.num_strong_views], FP_VIEW)
        if len(view_weights) != len(views):
            raise ValueError(f'view_weights needs {len(views)} values for {views}, got '
                             f'{tuple(view_weights)}')
        self.view_weights = dict(zip(views, view_weights))
        self.fp_dropout = fp_dropout
        self.confidence_threshold = (loss_consistency.get('threshold', 0.95)
                                     if confidence_threshold is None else confidence_threshold)
        self.log_pseudo_label_miou = log_pseudo_label_miou
        # This package's heads perturb inside their own call (one decoder pass).
        self.head_perturbs_features = 'num_perturbed' in inspect.signature(
            self.student.decode_head.forward).parameters

    @property
    def view_names(self) -> Tuple[str, ...]:
        """Names of the trained views: 's1' ... 's{N}' and, with perturbation, 'fp'."""
        strong = tuple(f's{i}' for i in range(1, self.num_strong_views + 1))
        return strong + ((FP_VIEW, ) if self.use_feature_perturbation else ())

    @property
    def student_pass_names(self) -> Tuple[str, ...]:
        """Labeled + weak (with the perturbed weak decode), then all strong views."""
        return ('labeled_weak_forward', 'strong_forward')

    def trains_unlabeled(self, inputs: Dict[str, Tensor]) -> bool:
        return self.use_consistency and 'weak' in inputs

    # ------------------------------------------------------------------ the step
    def loss_semi_supervised(self, inputs: Dict[str, Tensor],
                             data_samples: SampleDict) -> Dict[str, Tensor]:
        """The UniMatch step of the class docstring (two student encoder passes).

        Args:
            inputs (dict[str, Tensor]): 'labeled' (B_l, 3, H, W), 'weak' and 'strong1'
                ... 'strong{N}' (B_u, 3, H, W).
            data_samples (dict): 'labeled' (with ``gt_sem_seg``) and 'unlabeled' (with
                ``valid_mask`` and the mixer's fields, e.g. ``cutmix_box{i}``).

        Returns:
            dict[str, Tensor]: ``sup.*`` terms, ``unsup.loss_<view>`` (+ the terms of
            :meth:`view_losses` overrides) and the ``unsup.*`` statistics.
        """
        labeled, labeled_samples = inputs['labeled'], data_samples['labeled']
        weak, samples = inputs['weak'], data_samples['unlabeled']
        strong = self.strong_views(inputs)
        num_labeled, num_unlabeled = labeled.shape[0], weak.shape[0]
        size = weak.shape[-2:]
        valid = stack_pixel_field(samples, 'valid_mask').bool()
        extra = self.extra_targets(weak, valid)

        # One encoder pass over labeled + weak; the perturbed weak view is appended.
        feats = self.student.extract_feat(torch.cat([labeled, weak]))
        num_fp = num_unlabeled if self.use_feature_perturbation else 0
        logits = self.decode_with_perturbation(feats, num_fp)
        logits_x, logits_w, logits_fp = logits.split([num_labeled, num_unlabeled, num_fp])
        losses = self.loss_supervised_from_logits(feats, logits_x, labeled_samples)

        pseudo = self.pseudo_labels(weak, student_logits=logits_w)
        # Every per-pixel target is mixed with the same mask as the images.
        targets = dict(pseudo, valid=valid, **extra)
        views = self.mixed_views(strong, targets, samples)
        strong_logits = self.student.decode_head(self.student.extract_feat(
            torch.cat([views[v][v] for v in strong]))).chunk(len(strong))

        preds = dict(zip(strong, strong_logits))
        if self.use_feature_perturbation:
            preds[FP_VIEW] = logits_fp
            views[FP_VIEW] = targets
        unsup: Dict[str, Tensor] = {}
        for view, view_logits in preds.items():
            unsup.update(self.view_losses(view, self._upsample(view_logits, size), views[view]))
        unsup.update(self.unlabeled_statistics(pseudo['conf'], pseudo['label'], valid, extra,
                                               samples))
        losses.update(add_prefix('unsup.', unsup))
        return losses

    def decode_with_perturbation(self, feats: Sequence[Tensor], num_fp: int) -> Tensor:
        """Decode ``feats`` (batch B) and, appended, a perturbed copy of the last ``num_fp``.

        Returns:
            Tensor: (B + num_fp, N, h, w) logits.
        """
        head = self.student.decode_head
        if num_fp == 0:
            return head(feats)
        if self.head_perturbs_features:
            return head(feats, num_perturbed=num_fp)
        if not all(isinstance(f, Tensor) and f.dim() == 4 for f in feats):
            raise TypeError(
                f'{type(head).__name__} has no forward(inputs, num_perturbed) and its '
                'backbone outputs are not all (B, C, H, W) tensors, so features cannot be '
                'perturbed generically; set use_feature_perturbation=False')
        tail = [F.dropout2d(f[f.shape[0] - num_fp:], p=self.fp_dropout, training=True)
                for f in feats]
        return torch.cat([head(feats), head(tail)])

    def loss_supervised_from_logits(self, feats: Sequence[Tensor], logits: Tensor,
                                    samples: List[SegDataSample]) -> Dict[str, Tensor]:
        """``sup.decode.*`` (and ``sup.aux.*``) of logits already decoded, x sup_weight."""
        losses = add_prefix('decode.', self.student.decode_head.loss_by_feat(logits, samples))
        if self.student.with_auxiliary_head:
            losses.update(self.student._auxiliary_head_forward_train(feats, samples))
        return add_prefix('sup.', reweight_losses(losses, self.sup_weight))

    # ------------------------------------------------------------------ overridable terms
    def extra_targets(self, weak: Tensor, valid: Tensor) -> Dict[str, Tensor]:
        """Further per-pixel targets of the weak views, mixed like the pseudo-labels."""
        return {}

    def view_losses(self, view: str, pred: Tensor,
                    targets: Dict[str, Tensor]) -> Dict[str, Tensor]:
        """Terms of one view: ``loss_<view>`` = unsup_weight x w_v x L_u.

        Args:
            view (str): 's1' ... 's{N}' or 'fp'.
            pred (Tensor): (B_u, N, H, W) logits at the crop size.
            targets (dict[str, Tensor]): The view's (mixed) targets, (B_u, H, W) each.
        """
        factor = self.unsup_weight * self.view_weights[view]
        return {f'loss_{view}': factor * self.loss_consistency(
            pred, targets['label'], targets['conf'], targets['valid'])}

    @torch.no_grad()
    def unlabeled_statistics(self, conf: Tensor, label: Tensor, valid: Tensor,
                             extra: Dict[str, Tensor],
                             samples: List[SegDataSample]) -> Dict[str, Tensor]:
        """Logged: confident fraction of valid pixels, pseudo-label mIoU (with GT)."""
        num_valid = valid.sum().clamp(min=1)
        stats = {
            'confident_ratio': ((conf >= self.confidence_threshold) & valid).sum() / num_valid
        }
        if self.log_pseudo_label_miou and all('gt_sem_seg' in s for s in samples):
            gt = stack_pixel_field(samples, 'gt_sem_seg').long()
            head = self.student.decode_head
            stats['pseudo_label_miou'] = batch_miou(label, gt, head.num_classes,
                                                    head.ignore_index)
        return stats

    @torch.no_grad()
    def predict_training_targets(self, inputs: Tensor) -> Dict[str, Tensor]:
        """What training sees for unlabeled images, for visualisation and analysis.

        Args:
            inputs (Tensor): Normalised images, (B, 3, H, W) of one size.

        Returns:
            dict[str, Tensor]: (B, H, W) long maps 'prediction' (argmax of the network
            that labels unlabeled images) and 'pseudo_label' (the same where the
            confidence >= ``confidence_threshold``, else ignore).
        """
        ignore = self.student.decode_head.ignore_index
        model = self.pseudo_label_model
        pseudo = self.labels_from_logits(model.decode_head(model.extract_feat(inputs)),
                                         inputs.shape[-2:])
        label = pseudo['label']
        return dict(prediction=label,
                    pseudo_label=label.masked_fill(pseudo['conf'] < self.confidence_threshold,
                                                   ignore))


def batch_miou(pred: Tensor, gt: Tensor, num_classes: int, ignore_index: int) -> Tensor:
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


__all__ = ['UniMatchSegmentor', 'batch_miou', 'FP_VIEW']
