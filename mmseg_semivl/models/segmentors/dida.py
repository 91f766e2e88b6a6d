"""DIDA: dual-level (semantic + instance) self-training UDA on top of DACS / DAFormer.

Seed 003 (Yao et al., ICCVW 2023). One step, on DACS's steps (``dacs.py``)::

    loss_source(source)     -> 'sup.*' as DACS; the student's fused source embeddings
                               (decode head feature before the classifier, 1/4 res)
                               update the instance bank (no gradients)
    target_pseudo_labels    -> teacher logits p and embeddings e_w of the target:
                               q_w = softmax(e_w . e_k / tp) over the bank (1/4 res);
                               [instance -> semantic] p <- p scatter(q_w) / sum
                               (or an alpha-blend) before the argmax / confidence
    mixed_source_target     -> DACS's ClassMix; the instance target is mixed with the same
                               mask: q_w on target pixels, the source embedding's
                               distribution restricted to the ground-truth class on
                               pasted source pixels
    loss_unsupervised       -> DACS's weighted CE on the mixed view, plus
                               [semantic -> instance] q_hat ~ q ⊙ gather(p_student)
                               and 'unsup.loss_ins' = lambda CE(q_hat, q_student)

All instance maps are (B, K, h, w) at the decode head's resolution (1/4): at K = 300,
2 images of 512 px that is 39 MB per map in fp32, against 630 MB for the public code's
full-resolution maps. No host synchronisation in the step.
"""
from __future__ import annotations

from typing import Dict, List, Tuple

import torch
import torch.nn.functional as F
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from mmseg.utils import ConfigType, OptConfigType
from torch import Tensor

from ..losses.instance_loss import similarity_distribution
from ..utils import add_prefix
from ..utils.instance_bank import InstanceFeatureBank, no_autocast
from ..utils.self_training import confident_fraction_weight
from .dacs import DACS
from .teacher_student import SampleDict

#: ``semantic_fusion`` values (instance -> semantic direction).
SEMANTIC_FUSIONS = ('smooth', 'product')


def head_embedding_and_logits(head, feats: List[Tensor]) -> Tuple[Tensor, Tensor]:
    """(B, D, h, w) fused embedding before the classifier and the (B, N, h, w) logits.

    DAFormer's head exposes ``fuse``; MMSeg heads with ``_forward_feature`` work too.
    """
    if hasattr(head, 'fuse'):
        emb = head.fuse(feats)
    elif hasattr(head, '_forward_feature'):
        emb = head._forward_feature(feats)
    else:
        raise TypeError(f'DIDA needs a decode head with fuse() or _forward_feature() (the '
                        f'embedding before the classifier); {type(head).__name__} has neither')
    return emb, head.cls_seg(emb)


def fuse_instance_into_semantic(prob: Tensor, inst: Tensor, class_onehot: Tensor,
                                mode: str = 'smooth', alpha: float = 0.5) -> Tensor:
    """Fold the instance distribution into the semantic probabilities ("scattering").

    ``agg_c = sum_{k: class(k) = c} q_k``; 'smooth': ``alpha p + (1 - alpha) agg``;
    'product': ``p agg / sum_c p_c agg_c`` (SimMatch-style calibration). Pixels without any
    filled entry (agg = 0 everywhere) keep ``p``.

    Args:
        prob (Tensor): (B, C, h, w) semantic probabilities.
        inst (Tensor): (B, K, h, w) instance distribution.
        class_onehot (Tensor): (K, C) entries' classes (zero rows for empty slots).
        mode (str): 'smooth' or 'product'. Default: 'smooth'.
        alpha (float): Semantic share for 'smooth'. Default: 0.5.

    Returns:
        Tensor: (B, C, h, w) fused probabilities (sum 1 over C).
    """
    with no_autocast(prob):
        agg = torch.einsum('bkhw,kc->bchw', inst.float(), class_onehot.float())
    prob = prob.float()
    has = agg.sum(1, keepdim=True) > 0
    if mode == 'smooth':
        fused = alpha * prob + (1 - alpha) * agg
    elif mode == 'product':
        joint = prob * agg
        norm = joint.sum(1, keepdim=True)
        # No overlap between the two (all mass on classes without entries): keep p.
        has = has & (norm > 0)
        fused = joint / norm.clamp(min=1e-12)
    else:
        raise ValueError(f'semantic_fusion must be one of {SEMANTIC_FUSIONS}, got {mode!r}')
    return torch.where(has, fused, prob)


def fuse_semantic_into_instance(inst: Tensor, prob: Tensor, labels: Tensor) -> Tensor:
    """Fold semantic probabilities into the instance target ("gathering").

    ``q_hat_k = q_k p_{class(k)} / sum_j q_j p_{class(j)}``; pixels whose product is 0
    everywhere keep ``q``.

    Args:
        inst (Tensor): (B, K, h, w) instance distribution.
        prob (Tensor): (B, C, h, w) semantic probabilities.
        labels (Tensor): (K,) long classes of the entries.

    Returns:
        Tensor: (B, K, h, w).
    """
    joint = inst.float() * prob.float().index_select(1, labels)
    norm = joint.sum(1, keepdim=True)
    return torch.where(norm > 0, joint / norm.clamp(min=1e-12), inst)


def downsample_nearest(x: Tensor, size: torch.Size) -> Tensor:
    """(B, H, W) map (long, bool or float) -> (B, h, w) by nearest sampling."""
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    return F.interpolate(x.unsqueeze(1).float(), size=tuple(size), mode='nearest').squeeze(
        1).to(x.dtype)


@MODELS.register_module()
class DIDA(DACS):
    """DACS / DAFormer with DIDA's instance bank, instance loss and cross-level fusion.

    Args:
        instance_bank (dict): :class:`~mmseg_semivl.models.utils.instance_bank.
            InstanceFeatureBank` arguments; ``num_classes`` and ``feat_dim`` default to the
            student's decode head (``num_classes``, ``channels``), ``ignore_index`` to
            this model's. Default: K = 300, momentum 0.999, balanced slots, 'class'
            instances, normalised features.
        temperature (float): tp of both distributions (target and student). Default: 0.1.
        loss_instance (dict): The instance loss; ``temperature`` defaults to
            ``temperature``. Default: ``InstanceSimilarityLoss(loss_weight=1.0)``.
        fuse_instance_to_semantic (bool): Fold the teacher's instance distribution into
            the semantic pseudo-labels. Default: True.
        semantic_fusion (str): 'product' or 'smooth' (see
            :func:`fuse_instance_into_semantic`). Default: 'product': it sharpens where
            both levels agree, while 'smooth' averages the teacher's confidence with the
            (flatter) instance aggregate and keeps it under DACS's 0.968 threshold, which
            turned the semantic target loss off in the demo (docs/uda.md, "DIDA").
        fusion_alpha (float): Semantic share of 'smooth'. Default: 0.5.
        fuse_semantic_to_instance (bool): Fold the student's semantic prediction on the
            mixed view (detached) into the instance target. Default: True.
        instance_source_pixels (bool): Give the pasted source pixels of the mixed view an
            instance target (the source embedding's distribution over the entries of the
            ground-truth class); False trains the instance loss on target pixels only.
            Default: True.
        instance_weight (str): Per-pixel weight of the instance loss: 'pseudo' (the mixed
            pseudo-label weight of the semantic loss) or 'uniform' (1 on valid pixels).
            Default: 'pseudo'.
        **kwargs: :class:`~mmseg_semivl.models.segmentors.DACS` arguments, the
            vision-language parts (``guidance``, ``clip_guidance``,
            ``vl_feature_distance``) included: guidance labels ride on the mixed view
            beside the instance target, VL-FD on the source pass that fills the bank.
    """

    # Its own steps call the vision-language parts (target_guidance, view_losses,
    # source_regularisers, guidance_statistics).
    wires_vision_language = True

    def __init__(self,
                 student: ConfigType,
                 instance_bank: OptConfigType = None,
                 temperature: float = 0.1,
                 loss_instance: ConfigType = dict(type='InstanceSimilarityLoss',
                                                  loss_weight=1.0),
                 fuse_instance_to_semantic: bool = True,
                 semantic_fusion: str = 'product',
                 fusion_alpha: float = 0.5,
                 fuse_semantic_to_instance: bool = True,
                 instance_source_pixels: bool = True,
                 instance_weight: str = 'pseudo',
                 **kwargs) -> None:
        super().__init__(student=student, **kwargs)
        if temperature <= 0:
            raise ValueError(f'temperature must be > 0, got {temperature} (tp -> 0 is the '
                             'argmax: similarity_distribution(..., temperature=0))')
        if semantic_fusion not in SEMANTIC_FUSIONS:
            raise ValueError(f'semantic_fusion must be one of {SEMANTIC_FUSIONS}, got '
                             f'{semantic_fusion!r}')
        if not 0 <= fusion_alpha <= 1:
            raise ValueError(f'fusion_alpha must lie in [0, 1], got {fusion_alpha}')
        if instance_weight not in ('pseudo', 'uniform'):
            raise ValueError(f"instance_weight must be 'pseudo' or 'uniform', got "
                             f'{instance_weight!r}')
        head = self.student.decode_head
        bank_cfg = dict(num_classes=head.num_classes, feat_dim=head.channels,
                        ignore_index=self.ignore_index)
        bank_cfg.update(instance_bank or {})
        bank_cfg.pop('type', None)
        self.instance_bank = InstanceFeatureBank(**bank_cfg)
        self.temperature = temperature
        loss_cfg = dict(loss_instance)
        loss_cfg.setdefault('temperature', temperature)
        self.loss_instance = MODELS.build(loss_cfg)
        self.fuse_instance_to_semantic = fuse_instance_to_semantic
        self.semantic_fusion = semantic_fusion
        self.fusion_alpha = fusion_alpha
        self.fuse_semantic_to_instance = fuse_semantic_to_instance
        self.instance_source_pixels = instance_source_pixels
        self.instance_weight = instance_weight
        self._register_load_state_dict_pre_hook(self._fill_bank_state)

    def _fill_bank_state(self, state_dict: dict, prefix: str, *args) -> None:
        # A checkpoint without a bank (DAFormer, a plain segmentor) loads strictly and the
        # bank starts empty; a DIDA checkpoint (resume) restores it exactly.
        for key, value in self.instance_bank.state_dict(
                prefix=prefix + 'instance_bank.').items():
            state_dict.setdefault(key, value.clone())

    # ------------------------------------------------------------------ step
    def loss_semi_supervised(self, inputs: Dict[str, Tensor],
                             data_samples: SampleDict) -> Dict[str, Tensor]:
        """One DIDA step: DACS's terms plus 'unsup.loss_ins' and bank statistics.

        Args, as :meth:`DACS.loss_semi_supervised`.

        Returns:
            dict[str, Tensor]: DACS's terms (with the vision-language parts when
            enabled: 'sup.loss_vl_fd', 'unsup.loss_guidance'), 'unsup.loss_ins', and the
            statistic 'unsup.bank_filled' (share of filled slots).
        """
        source, target, src_samples, tgt_samples, gt = self.step_inputs(inputs, data_samples)
        losses, src_emb = self.loss_source_with_bank(source, src_samples, gt)
        targets = self.target_pseudo_labels(target, tgt_samples)
        if self.with_clip_guidance:
            targets.update(self.target_guidance(target, tgt_samples))
        views = self.mixed_source_target(source, gt, target, targets)
        views['mix']['instance'] = self.mixed_instance_target(
            views['mix']['mask'], targets['instance'], src_emb, gt)
        losses.update(self.loss_unsupervised(views, target.shape[-2:]))
        if self.with_clip_guidance:
            losses.update(self.guidance_statistics(targets))
        return losses

    def loss_source_with_bank(self, source: Tensor, samples: List[SegDataSample],
                              gt: Tensor) -> Tuple[Dict[str, Tensor], Tensor]:
        """DACS's source terms from one student pass, and the bank update.

        Returns:
            tuple: the 'sup.*' losses and the detached (B, D, h, w) source embeddings.
        """
        losses, emb = self.source_pass(source, samples, gt)
        emb = emb.detach()
        # Instances at the embeddings' resolution: nearest-sampled ground truth (the
        # public code upsamples the embeddings to the full crop instead).
        self.instance_bank.update(emb, downsample_nearest(gt, emb.shape[-2:]))
        return losses, emb

    def source_head_losses(self, feats: List[Tensor], samples: List[SegDataSample]
                           ) -> Tuple[Dict[str, Tensor], Tensor]:
        """The decode head's 'decode.*' losses and its (B, D, h, w) fused embeddings, from
        one head pass (the bank is filled with the embeddings of the supervised pass)."""
        emb, logits = head_embedding_and_logits(self.student.decode_head, feats)
        return add_prefix('decode.', self.student.decode_head.loss_by_feat(logits, samples)), emb

    @torch.no_grad()
    def target_pseudo_labels(self, target: Tensor,
                             samples: List[SegDataSample]) -> Dict[str, Tensor]:
        """Teacher pseudo-labels (instance-fused when enabled) and the instance target.

        Returns:
            dict[str, Tensor]: DACS's 'label', 'conf', 'weight', 'fraction' and
            'instance' (B, K, h, w), the teacher's instance distribution q_w.
        """
        model = self.pseudo_label_model
        emb, logits = head_embedding_and_logits(model.decode_head, model.extract_feat(target))
        bank = self.instance_bank
        inst = similarity_distribution(bank.similarity(emb), self.temperature, bank.filled)
        if self.fuse_instance_to_semantic:
            prob = fuse_instance_into_semantic(logits.float().softmax(1), inst,
                                               bank.class_onehot(), self.semantic_fusion,
                                               self.fusion_alpha)
            conf, label = self._upsample(prob, target.shape[-2:]).max(dim=1)
            targets = dict(label=label, conf=conf)
        else:
            targets = self.labels_from_logits(logits, target.shape[-2:])
        weight, fraction = confident_fraction_weight(
            targets['conf'], self.pseudo_threshold, self.valid_mask(samples, target),
            self.pseudo_weight_ignore_top, self.pseudo_weight_ignore_bottom)
        return dict(targets, weight=weight, fraction=fraction, instance=inst)

    @torch.no_grad()
    def mixed_instance_target(self, mask: Tensor, target_inst: Tensor, src_emb: Tensor,
                              gt: Tensor) -> Tensor:
        """The instance target of the mixed view, before the semantic fusion.

        Target pixels: the teacher's q_w. Pasted source pixels: the distribution of the
        (detached) student source embedding restricted to the entries of the pixel's
        ground-truth class, or zeros (no loss) when ``instance_source_pixels`` is False or
        the class has no filled entry / the pixel is ignored.

        Args:
            mask (Tensor): (B, H, W) bool ClassMix mask (True = source pixel).
            target_inst (Tensor): (B, K, h, w) teacher distribution on the target.
            src_emb (Tensor): (B, D, h, w) source embeddings.
            gt (Tensor): (B, H, W) source ground truth.

        Returns:
            Tensor: (B, K, h, w).
        """
        size = target_inst.shape[-2:]
        mask = downsample_nearest(mask, size).unsqueeze(1)
        if not self.instance_source_pixels:
            return torch.where(mask, torch.zeros_like(target_inst), target_inst)
        bank = self.instance_bank
        src = similarity_distribution(bank.similarity(src_emb), self.temperature, bank.filled)
        gt_low = downsample_nearest(gt, size)
        same = bank.labels.view(1, -1, 1, 1) == gt_low.unsqueeze(1)  # (B, K, h, w)
        src = src * same
        src = src / src.sum(1, keepdim=True).clamp(min=1e-12)
        return torch.where(mask, src, target_inst)

    def loss_unsupervised(self, views: Dict[str, Dict[str, Tensor]],
                          size: torch.Size) -> Dict[str, Tensor]:
        """DACS's weighted CE on every view plus the instance loss on the mixed view.

        'unsup.loss_ins' = unsup_weight x lambda x mean over pixels of
        weight x CE(q_hat, softmax(e_s . e_k / tp)), at the embeddings' resolution.
        """
        names = list(views)
        head = self.student.decode_head
        emb, logits = head_embedding_and_logits(head, self.student.extract_feat(
            torch.cat([views[v][v] for v in names])))
        embs, logits = emb.chunk(len(names)), logits.chunk(len(names))
        losses = {}
        for name, view_logits in zip(names, logits):
            losses.update(self.view_losses(name, self._upsample(view_logits, size),
                                           views[name]))
        mix = views['mix']
        mix_emb, mix_logits = embs[names.index('mix')], logits[names.index('mix')]
        target = mix['instance']
        if self.fuse_semantic_to_instance:
            target = fuse_semantic_into_instance(
                target, mix_logits.detach().float().softmax(1), self.instance_bank.labels)
        low = target.shape[-2:]
        if self.instance_weight == 'pseudo':
            weight = downsample_nearest(mix['weight'], low)
        else:
            weight = torch.ones_like(target[:, 0])
        bank = self.instance_bank
        losses['loss_ins'] = self.unsup_weight * self.loss_instance(
            bank.similarity(mix_emb), target, weight, bank.filled)
        # As DACS's statistic, without boolean indexing (no host synchronisation).
        tgt = (~mix['mask']).float()
        losses['pseudo_weight'] = (mix['weight'] * tgt).sum() / tgt.sum().clamp(min=1)
        losses['mix_share'] = mix['mask'].float().mean()
        losses['bank_filled'] = bank.filled.float().mean()
        return add_prefix('unsup.', losses)

    @property
    def student_pass_names(self) -> Tuple[str, ...]:
        masked = ('masked_forward', ) if self.mic is not None else ()
        return ('labeled_forward', 'strong_forward', *masked)


__all__ = ['DIDA', 'fuse_instance_into_semantic', 'fuse_semantic_into_instance',
           'head_embedding_and_logits', 'SEMANTIC_FUSIONS']
