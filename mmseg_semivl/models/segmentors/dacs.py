"""DACS self-training domain adaptation (and DAFormer, MIC as its options).

A member of the teacher-student family: the steps of
:class:`~mmseg_semivl.models.segmentors.TeacherStudentSegmentor` with three small
parts plugged in (``models/utils/self_training.py``)::

    loss_supervised(source)          -> 'sup.decode.*' (+ 'sup.loss_fd', DAFormer's FD)
    pseudo_labels(target, teacher)   -> label, conf; weight = confident fraction (one scalar)
    mixed_views: ClassMix of source classes into the target (images, labels, weights),
                 then colour jitter + blur                       -> the 'mix' view
    loss_unsupervised(mix [, masked target]) -> 'unsup.loss_mix' (+ 'unsup.loss_mic')

DAFormer is a config of this class (EMA alpha 0.999, ``feature_distance=dict()``,
rare-class sampling in the data, lr warm-up in the schedule); MIC is ``mic=dict()``
on either.
"""
from __future__ import annotations

import copy
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn as nn
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from mmseg.utils import ConfigType, OptConfigType, OptMultiConfig
from torch import Tensor
from torch._subclasses.fake_tensor import is_fake

from ..utils import add_prefix, reweight_losses
from ..utils.self_training import (build_part, confident_fraction_weight,
                                   pixel_weighted_cross_entropy)
from .teacher_student import SampleDict, TeacherStudentSegmentor, stack_pixel_field
from .vision_language_parts import GUIDANCE_MODEL, VisionLanguageParts

#: Name of the frozen copy of the initial student used by the feature distance.
FD_REFERENCE = 'imnet_model'
#: Buffer with the FD reference's identity (saved in checkpoints; its weights are not).
FD_STATS = 'fd_reference_stats'
#: Backbone types whose initial weights are not ImageNet weights (the FD reference is
#: then a copy of the vision-language encoder, seed 001's setting).
NON_IMAGENET_BACKBONES = ('CLIPVisionTransformer', 'CLIPWithConvSkip', 'OpenCLIPEVA')


@MODELS.register_module()
class DACS(VisionLanguageParts, TeacherStudentSegmentor):
    """DACS: EMA teacher pseudo-labels, ClassMix source -> target, weighted CE.

    Batches are UDA batches of ``SemiSegDataPreProcessor``: ``inputs = {'labeled'
    (B, 3, H, W) source, 'weak' (B, 3, H, W) target}`` (``PackTargetInputs``), source
    image i is mixed into target image i (equal batch sizes).

    Args:
        student (ConfigType): The student segmentor (``EncoderDecoder``-like).
        teacher (str | ConfigType): ``'ema'`` (updated by ``EMATeacherHook``, alpha 0.99
            for DACS: ``momentum=0.01``). Default: 'ema'.
        mixer (ConfigType): ClassMix of half of the source classes. Default:
            ``ClassMixMasker(classes_from='sample', ignore_index=255)`` (each source
            image's own classes, never the ignore label); the anchor's batch-wide draw
            including 255 is ``classes_from='batch', ignore_index=None``.
        pseudo_threshold (float): Confidence for the confident fraction. Default: 0.968.
        pseudo_weight_ignore_top (int): Target rows with pseudo-weight 0 at the top.
            Default: 0 (DAFormer on Cityscapes: 15).
        pseudo_weight_ignore_bottom (int): Same at the bottom. Default: 0 (DAFormer: 120).
        strong_transform (dict): Photometric augmentation of mixed images. Default:
            ``DACSStrongTransform()`` (colour jitter s 0.2 when U > 0.2, blur when U > 0.5).
        feature_distance (dict, optional): ``ImageNetFeatureDistance`` arguments
            (lambda 0.005, thing classes, ratio 0.75, last stage); None disables it
            (DACS). ``allow_non_imagenet=True`` inside it accepts a CLIP/EVA reference.
        mic (dict, optional): ``MaskedImageConsistency`` arguments (block 64, ratio 0.7,
            lambda 1); None disables it.
        guidance (dict, optional): The frozen dense CLIP of the vision-language parts
            (``DenseCLIPZeroShot``: weights, class definitions, concepts-max), registered
            as the frozen model ``guidance``. Built only when ``clip_guidance`` or
            ``vl_feature_distance`` is set (otherwise ignored: plain DACS). Default: None.
        clip_guidance (dict, optional): Dense CLIP guidance on the target images,
            :class:`~mmseg_semivl.models.utils.DenseCLIPGuidance` arguments (lambda_0 0.1,
            linear decay, zeta 0.9 over all pixels, temperature, the guidance's own
            ``crop_size``/``stride`` tiling, the CLIP normalisation ``mean``/``std``,
            default CLIP's) plus ``source_pixels``: ``'ignore'`` (default) or
            ``'ground_truth'`` for the pasted source pixels of the ClassMix view. Adds
            ``unsup.loss_guidance`` = lambda_t x M(p_mix, mixed guidance) (not scaled by
            ``unsup_weight``, as SemiVL's guidance) and logs ``unsup.guidance_coverage``,
            ``unsup.lambda_guidance``. None disables it. Default: None.
        vl_feature_distance (dict, optional): The vision-language feature distance on the
            source images, :class:`~mmseg_semivl.models.utils.VisionLanguageFeatureDistance`
            arguments (lambda 0.005, mask ``'confident'`` guidance pixels, the student
            backbone's last output vs. the guidance CLIP's dense embedding, both
            L2-normalised) plus ``guidance`` (the ``DenseCLIPGuidance`` arguments of its
            confidence when ``clip_guidance`` is None). Adds ``sup.loss_vl_fd`` and logs
            ``sup.vl_fd_share``. None disables it. Default: None.
        ignore_index (int): Unlabeled label value. Default: 255.
        teacher_mode, semi_train_cfg, semi_test_cfg, data_preprocessor, init_cfg: as for
            :class:`TeacherStudentSegmentor`.
        pretrained, train_cfg: Only None (MMSeg's ``init_model`` sets both on the
            top-level model config); the student's own keys hold the real values.
        test_cfg (dict, optional): Inference settings (``mode``, ``crop_size``,
            ``stride``) for the student and the teacher; None keeps the student's.
    """

    vision_language_steps = ('loss_semi_supervised', 'self_training_step', 'loss_source',
                             'source_pass', 'source_regularisers', 'mixed_source_target',
                             'loss_unsupervised', 'view_losses')
    wires_vision_language = True

    def __init__(self,
                 student: ConfigType,
                 teacher: object = 'ema',
                 mixer: ConfigType = dict(type='ClassMixMasker', classes_from='sample',
                                          ignore_index=255),
                 pseudo_threshold: float = 0.968,
                 pseudo_weight_ignore_top: int = 0,
                 pseudo_weight_ignore_bottom: int = 0,
                 strong_transform: ConfigType = dict(type='DACSStrongTransform'),
                 feature_distance: OptConfigType = None,
                 mic: OptConfigType = None,
                 guidance: OptConfigType = None,
                 clip_guidance: OptConfigType = None,
                 vl_feature_distance: OptConfigType = None,
                 ignore_index: int = 255,
                 teacher_mode: str = 'no_dropout',
                 semi_train_cfg: OptConfigType = None,
                 semi_test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None,
                 pretrained: Optional[str] = None,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None) -> None:
        _check_mmseg_inference_keys(pretrained, train_cfg)
        if teacher is None:
            raise ValueError("DACS needs a teacher: teacher='ema' (or a segmentor config), "
                             'got None')
        if mixer is None:
            raise ValueError('DACS needs a mixer (ClassMixMasker), got mixer=None')
        if not 0 < pseudo_threshold <= 1:
            raise ValueError(f'pseudo_threshold must lie in (0, 1], got {pseudo_threshold}')
        super().__init__(student=student, teacher=teacher, mixer=mixer, num_strong_views=1,
                         teacher_mode=teacher_mode, semi_train_cfg=semi_train_cfg,
                         semi_test_cfg=semi_test_cfg, data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        if test_cfg is not None:
            self.test_cfg = test_cfg  # MMSeg-style override: the student's and teacher's
        check_crop_tiles(self.student, data_preprocessor)
        self.pseudo_threshold = pseudo_threshold
        self.pseudo_weight_ignore_top = pseudo_weight_ignore_top
        self.pseudo_weight_ignore_bottom = pseudo_weight_ignore_bottom
        self.ignore_index = ignore_index
        self.strong_transform = build_part(strong_transform, 'DACSStrongTransform')
        fd_cfg = None if feature_distance is None else dict(feature_distance)
        allow_non_imagenet = bool(fd_cfg.pop('allow_non_imagenet', False)) if fd_cfg else False
        self.feature_distance = build_part(fd_cfg, 'ImageNetFeatureDistance')
        self.mic = build_part(mic, 'MaskedImageConsistency')
        if self.feature_distance is not None:
            backbone_type = str(student.get('backbone', {}).get('type', ''))
            if backbone_type in NON_IMAGENET_BACKBONES and not allow_non_imagenet:
                raise ValueError(f'feature_distance: backbone {backbone_type!r} has no ImageNet '
                                 'counterpart; set feature_distance.allow_non_imagenet=True to '
                                 'regularise toward its own initial weights (seed 001)')
            # A frozen copy of the *initial* student (weights copied in init_weights).
            self.add_frozen_model(FD_REFERENCE, copy.deepcopy(self.student))
            # Its identity is saved (the weights are not): (count, sum, sum |w|) in fp64.
            self.register_buffer(FD_STATS, weight_stats(self.imnet_model))
            self._fd_checked = False
            self._register_load_state_dict_pre_hook(self._fill_fd_stats)
        self.build_vision_language_parts(guidance, clip_guidance, vl_feature_distance)

    # ------------------------------------------------------------------ parts
    def init_weights(self) -> None:
        """Initialise the student; the EMA teacher and the FD reference copy it."""
        reference = self.frozen_models.get(FD_REFERENCE)
        if reference is not None:
            reference._is_init = True  # its weights are the initial student's
        super().init_weights()
        if reference is not None:
            reference.load_state_dict(self.student.state_dict())
            getattr(self, FD_STATS).copy_(weight_stats(reference))

    def _fill_fd_stats(self, state_dict: dict, prefix: str, *args) -> None:
        # A checkpoint without FD (a plain segmentor, a DACS run) loads strictly; the live
        # reference's identity stays.
        state_dict.setdefault(prefix + FD_STATS, getattr(self, FD_STATS).clone())

    def check_fd_reference(self) -> None:
        """Raise if the live FD reference is not the one the loaded weights trained with."""
        live, saved = weight_stats(getattr(self, FD_REFERENCE)), getattr(self, FD_STATS)
        if is_fake(saved) or is_fake(live):
            return  # a fake-tensor memory estimate (tools/benchmark_train.py --fake): no values
        if not torch.allclose(live.to(saved), saved, rtol=1e-9, atol=0):
            raise RuntimeError(
                f'feature distance: the frozen reference (initial student) has weight stats '
                f'{live.tolist()} but the checkpoint was trained with {saved.tolist()}: the '
                'pretrained weights of model.student changed since that run')

    @property
    def student_pass_names(self) -> Tuple[str, ...]:
        masked = ('masked_forward', ) if self.mic is not None else ()
        return ('labeled_forward', 'strong_forward', *masked)

    # ------------------------------------------------------------------ steps
    def loss_semi_supervised(self, inputs: Dict[str, Tensor],
                             data_samples: SampleDict) -> Dict[str, Tensor]:
        """One DACS step (source, target) -> named, weighted losses and statistics.

        The losses of :meth:`self_training_step` (see there).
        """
        return self.self_training_step(inputs, data_samples)[0]

    def self_training_step(self, inputs: Dict[str, Tensor], data_samples: SampleDict
                           ) -> Tuple[Dict[str, Tensor], Dict[str, Tensor],
                                      Dict[str, Dict[str, Tensor]]]:
        """One DACS step, also returning its pseudo-labels and mixed views.

        A method built on the DACS pair (DUDA's lightweight student) trains on the
        same targets and views.

        Args:
            inputs (dict[str, Tensor]): 'labeled' (B, 3, H, W) source, 'weak'
                (B, 3, H, W) target, normalised.
            data_samples (dict): 'labeled' source samples with ``gt_sem_seg``,
                'unlabeled' target samples (``valid_mask`` optional).

        Returns:
            tuple: The losses, dict[str, Tensor]: 'sup.decode.loss_ce' (+ 'sup.loss_fd'),
            'unsup.loss_mix' (+ 'unsup.loss_mic') and the statistics
            'unsup.pseudo_weight', 'unsup.mix_share'; the targets of
            :meth:`target_pseudo_labels`; the views of :meth:`mixed_source_target` (+ 'mic').
        """
        source, target, src_samples, tgt_samples, gt = self.step_inputs(inputs, data_samples)
        losses = self.loss_source(source, src_samples, gt)
        targets = self.target_pseudo_labels(target, tgt_samples)
        if self.with_clip_guidance:
            targets.update(self.target_guidance(target, tgt_samples))
        views = self.mixed_source_target(source, gt, target, targets)
        if self.mic is not None:
            views['mic'] = self.masked_view(target, targets)
        losses.update(self.loss_unsupervised(views, target.shape[-2:]))
        if self.with_clip_guidance:
            losses.update(self.guidance_statistics(targets))
        return losses, targets, views

    def step_inputs(self, inputs: Dict[str, Tensor], data_samples: SampleDict) -> tuple:
        """Source and target of a step, checked: (source, target, source samples, target
        samples, (B, H, W) source labels); the FD reference is checked once per process."""
        source, target = inputs['labeled'], inputs['weak']
        src_samples, tgt_samples = data_samples['labeled'], data_samples['unlabeled']
        if source.shape != target.shape:
            raise ValueError(f'{type(self).__name__} mixes source i into target i: source '
                             f'batch {tuple(source.shape)} and target batch '
                             f'{tuple(target.shape)} must have the same shape '
                             '(source_ratio=(1, 1), one crop size)')
        gt = stack_pixel_field(src_samples, 'gt_sem_seg').long()
        if self.feature_distance is not None and not self._fd_checked:
            self.check_fd_reference()  # once per process, after any checkpoint loading
            self._fd_checked = True
        return source, target, src_samples, tgt_samples, gt

    def loss_source(self, source: Tensor, samples: List[SegDataSample],
                    gt: Tensor) -> Dict[str, Tensor]:
        """Supervised source loss ('sup.*') and, when enabled, the feature distances."""
        if self.feature_distance is None and self.vl_feature_distance is None:
            return self.loss_supervised(source, samples)
        return self.source_pass(source, samples, gt)[0]

    def source_pass(self, source: Tensor, samples: List[SegDataSample],
                    gt: Tensor) -> Tuple[Dict[str, Tensor], Optional[Tensor]]:
        """One student pass over the source: its 'sup.*' losses and the head's extra output.

        The decode head's losses (:meth:`source_head_losses`) and the auxiliary head's, each
        weighted by ``sup_weight``, then the enabled feature distances of the same features.

        Args:
            source (Tensor): (B, 3, H, W) source images.
            samples (list[SegDataSample]): Their samples, with ``gt_sem_seg``.
            gt (Tensor): (B, H, W) source labels.

        Returns:
            tuple: the 'sup.*' losses and what :meth:`source_head_losses` returned beside
            its losses (None here; DIDA's embeddings).
        """
        student = self.student
        with self.backbone_outputs() as backbone_feats:
            feats = student.extract_feat(source)
        losses, extra = self.source_head_losses(feats, samples)
        losses = dict(losses)
        if getattr(student, 'with_auxiliary_head', False):
            losses.update(student._auxiliary_head_forward_train(feats, samples))
        losses = reweight_losses(losses, self.sup_weight)
        losses.update(self.source_regularisers(source, feats, backbone_feats, gt))
        return add_prefix('sup.', losses), extra

    def source_head_losses(self, feats: List[Tensor], samples: List[SegDataSample]
                           ) -> Tuple[Dict[str, Tensor], Optional[Tensor]]:
        """The decode head's 'decode.*' losses of the source features, and no extra output."""
        return self.student._decode_head_forward_train(feats, samples), None

    def source_regularisers(self, source: Tensor, feats: List[Tensor],
                            backbone_feats: List, gt: Tensor) -> Dict[str, Tensor]:
        """The enabled feature distances of the source pass (unprefixed names).

        Args:
            source (Tensor): (B, 3, H, W) source images.
            feats (list[Tensor]): The student's ``extract_feat`` outputs (after the neck).
            backbone_feats (list): What :meth:`backbone_outputs` captured of that pass.
            gt (Tensor): (B, H, W) source labels.

        Returns:
            dict[str, Tensor]: 'loss_fd' (DAFormer), 'loss_vl_fd' and 'vl_fd_share'.
        """
        losses = {}
        if self.feature_distance is not None:
            losses['loss_fd'] = self.loss_feature_distance(source, feats, gt)
        if self.vl_feature_distance is not None:
            losses.update(self.loss_vl_feature_distance(source, backbone_feats[0], gt))
        return losses

    def loss_feature_distance(self, source: Tensor, feats: List[Tensor], gt: Tensor) -> Tensor:
        """FD between the student's and the frozen initial copy's source features."""
        fd = self.feature_distance
        with torch.no_grad():
            ref = getattr(self, FD_REFERENCE).extract_feat(source)[fd.layer]
        feat = feats[fd.layer]
        mask = fd.mask(gt, feat.shape[-2:], self.student.decode_head.num_classes,
                       self.ignore_index)
        return fd(feat, ref, mask)

    @torch.no_grad()
    def target_pseudo_labels(self, target: Tensor,
                             samples: List[SegDataSample]) -> Dict[str, Tensor]:
        """Teacher pseudo-labels and the confident-fraction weight of the target batch.

        Returns:
            dict[str, Tensor]: 'label' (B, H, W) long, 'conf' and 'weight' (B, H, W)
            float, 'fraction' (scalar).
        """
        targets = self.pseudo_labels(target)
        valid = self.valid_mask(samples, target)
        weight, fraction = confident_fraction_weight(
            targets['conf'], self.pseudo_threshold, valid, self.pseudo_weight_ignore_top,
            self.pseudo_weight_ignore_bottom)
        return dict(targets, weight=weight, fraction=fraction)

    def mixed_source_target(self, source: Tensor, gt: Tensor, target: Tensor,
                            targets: Dict[str, Tensor]) -> Dict[str, Dict[str, Tensor]]:
        """ClassMix: source pixels of half of the source classes pasted into the target.

        The same (B, H, W) mask mixes images, labels (source ground truth vs. the
        pseudo-label) and weights (1 vs. the pseudo-label weight); the mixed images
        then get the photometric augmentation.

        Returns:
            dict: ``{'mix': {'mix': image (B, 3, H, W), 'label', 'weight', 'mask'}}``.
        """
        own = dict(img=target, label=targets['label'], weight=targets['weight'])
        partner = dict(img=source, label=gt, weight=torch.ones_like(targets['weight']))
        if 'guide_label' in targets:
            # The dense CLIP labels are mixed like the pseudo-labels.
            own.update({k: targets[k] for k in ('guide_label', 'guide_conf', 'guide_valid')})
            partner.update(self.guidance_source_partner(gt, targets))
        mask = self.mixer.mask(1, None, partner)
        mixed = self.mixer.mix(own, partner, mask)
        mean, std = self._norm_stats(target)
        image = self.strong_transform(mixed.pop('img'), mean, std)
        return {'mix': dict(mix=image, mask=mask, **mixed)}

    def masked_view(self, target: Tensor, targets: Dict[str, Tensor]) -> Dict[str, Tensor]:
        """MIC's masked target view with the shared pseudo-labels and weights."""
        image = target
        if self.mic.color_augment:
            mean, std = self._norm_stats(target)
            image = self.strong_transform(target, mean, std)
        return dict(mic=self.mic.mask_image(image), label=targets['label'],
                    weight=targets['weight'])

    def view_losses(self, name: str, pred: Tensor,
                    view: Dict[str, Tensor]) -> Dict[str, Tensor]:
        """The terms of one view's (B, C, H, W) upsampled logits (unprefixed names).

        'loss_{name}' = unsup_weight (x MIC's lambda on 'mic') x mean(CE x weight);
        on the view carrying guidance labels (the mixed view) also 'loss_guidance'.
        """
        loss = pixel_weighted_cross_entropy(pred, view['label'], view['weight'],
                                            self.ignore_index)
        factor = self.mic.loss_weight if name == 'mic' else 1.0
        losses = {f'loss_{name}': self.unsup_weight * factor * loss}
        if 'guide_label' in view:
            losses['loss_guidance'] = self.loss_guidance(pred, view)
        return losses

    def loss_unsupervised(self, views: Dict[str, Dict[str, Tensor]],
                          size: torch.Size) -> Dict[str, Tensor]:
        """Pixel-weighted CE of every view, one student pass over all of them.

        'unsup.loss_mix' = unsup_weight x mean(CE x weight) over all pixels;
        'unsup.loss_mic' = the same x MIC's lambda on the masked view.
        """
        names = list(views)
        logits = self.student.decode_head(self.student.extract_feat(
            torch.cat([views[v][v] for v in names]))).chunk(len(names))
        losses = {}
        for name, view_logits in zip(names, logits):
            losses.update(self.view_losses(name, self._upsample(view_logits, size),
                                           views[name]))
        mix = views['mix']
        losses['pseudo_weight'] = (mix['weight'][~mix['mask']].mean()
                                   if (~mix['mask']).any() else mix['weight'].new_zeros(()))
        losses['mix_share'] = mix['mask'].float().mean()
        return add_prefix('unsup.', losses)



@MODELS.register_module()
class SourceOnlySegmentor(TeacherStudentSegmentor):
    """The source-only baseline of UDA: the student's supervised loss on the source.

    Takes the same two-stream UDA batches as :class:`DACS` (so batch, schedule and
    evaluation are identical) and ignores the target images.
    """

    def __init__(self, student: ConfigType, pretrained: Optional[str] = None,
                 train_cfg: OptConfigType = None, test_cfg: OptConfigType = None,
                 **kwargs) -> None:
        _check_mmseg_inference_keys(pretrained, train_cfg)
        kwargs.setdefault('mixer', None)
        super().__init__(student=student, **kwargs)
        if test_cfg is not None:
            self.test_cfg = test_cfg
        check_crop_tiles(self.student, kwargs.get('data_preprocessor'))

    def trains_unlabeled(self, inputs: Dict[str, Tensor]) -> bool:
        return False

    @property
    def student_pass_names(self) -> Tuple[str, ...]:
        return ('labeled_forward', )


def check_crop_tiles(student: nn.Module, data_preprocessor: OptConfigType) -> None:
    """Refuse a training crop that a patch encoder would silently cut (ViT: floor).

    Encoders that pad to the patch grid themselves (``pads_to_patch_grid``, OpenCLIPEVA) and
    encoders without a ``patch_size`` (CNNs, MiT) take any crop.
    """
    size = (data_preprocessor or {}).get('size')
    backbone = getattr(student, 'backbone', None)
    patch = getattr(backbone, 'patch_size', None)
    if not size or not isinstance(patch, int) or getattr(backbone, 'pads_to_patch_grid', False):
        return
    if any(int(s) % patch for s in size):
        good = tuple(max(patch, int(s) // patch * patch) for s in size)
        raise ValueError(f'data_preprocessor.size={tuple(size)} is not a multiple of the '
                         f'{type(backbone).__name__} patch {patch}: the encoder would drop the '
                         f'border; use e.g. {good}')


@torch.no_grad()
def weight_stats(module: nn.Module) -> Tensor:
    """(3,) float64 identity of a module's parameters: count, sum and sum of |w|."""
    params = [p.detach().double() for p in module.parameters()]
    return torch.stack([torch.tensor(float(sum(p.numel() for p in params)), dtype=torch.float64),
                        sum(p.sum() for p in params), sum(p.abs().sum() for p in params)])


def _check_mmseg_inference_keys(pretrained: Optional[str], train_cfg: OptConfigType) -> None:
    """Accept MMSeg ``init_model``'s ``pretrained=None, train_cfg=None``; refuse values."""
    for key, value in (('pretrained', pretrained), ('train_cfg', train_cfg)):
        if value is not None:
            raise ValueError(f'model.{key}={value!r}: set it on model.student (the UDA '
                             'segmentor only accepts None here, as MMSeg init_model sets it)')


__all__ = ['DACS', 'FD_REFERENCE', 'GUIDANCE_MODEL', 'SourceOnlySegmentor']
