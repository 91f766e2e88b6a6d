"""Adversarial domain adaptation in the output space: AdaptSegNet, ADVENT (AdvEnt, MinEnt).

Members of the teacher-student family without a teacher: the student is the
segmentor, and one :class:`~mmseg_semivl.models.discriminators.FCDiscriminator` per
output level (``main``: the decode head; ``aux``: the auxiliary head, when the student
has one) tells source from target predictions. One training step, in the anchors'
order (AdaptSegNet ``train_gta2cityscapes_multi.py``, ADVENT ``train_UDA.py``)::

    source: seg loss of every level                                  'sup.*'
    target: GAN loss of D_level(map(target)) against the SOURCE label,  'adv.*'
            discriminators frozen (fool them), and/or MinEnt's entropy  'ent.*'
    -> segmentor optimizer (OptimWrapperDict['segmentor'])
    discriminators: GAN loss of D(map(source).detach()) vs source label  'disc.*'
                    and of D(map(target).detach()) vs target label, x 1/2 each
    -> discriminator optimizer (OptimWrapperDict['discriminator'])

With the vision-language parts (issue 21, :mod:`.vision_language_parts`): dense CLIP
guidance of the target prediction (``unsup.loss_guidance``, the ``main`` level) and the VL
feature distance of the source pass (``sup.loss_vl_fd``) join the segmentor's terms.

``map`` is the softmax (AdaptSegNet) or ADVENT's weighted self-information
``-p log2 p / log2 C`` of the logits upsampled to the input size. Each optimizer is an
ordinary MMEngine optim wrapper, so AMP (``AmpOptimWrapper``), the non-finite guard
(``NonFiniteSkip*OptimWrapper``) and gradient accumulation (``accumulative_counts``) work
per optimizer, and each has its own parameter schedulers (``param_scheduler`` as a dict
keyed like ``optim_wrapper``), all saved in checkpoints.
"""
from __future__ import annotations

import contextlib
from typing import Dict, Iterator, List, Optional, Tuple, Union

import torch
import torch.nn as nn
from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from mmseg.utils import ConfigType, OptConfigType, OptMultiConfig
from torch import Tensor

from ..utils import add_prefix, entropy_loss, reweight_losses, self_information
from .teacher_student import SampleDict, TeacherStudentSegmentor, stack_pixel_field
from .vision_language_parts import VisionLanguageParts

#: Output levels: the decode head's prediction and the auxiliary head's.
LEVELS = ('main', 'aux')
#: What the discriminators see.
DISCRIMINATOR_INPUTS = ('softmax', 'entropy')
#: Branch of the target images (``PackTargetInputs`` packs the target as ``weak``).
TARGET_BRANCH = 'weak'
#: Default names of the two optimizers in ``optim_wrapper``.
DEFAULT_OPTIM_KEYS = dict(segmentor='segmentor', discriminator='discriminator')

LevelDict = Dict[str, Tensor]


@contextlib.contextmanager
def frozen_parameters(module: Optional[nn.Module]) -> Iterator[None]:
    """Set ``requires_grad=False`` on every parameter of ``module``, restore on exit.

    The adversarial term back-propagates *through* the discriminators into the
    segmentor; with their parameters frozen they receive no gradient from it (the
    anchors' ``param.requires_grad = False``), so gradient accumulation and the
    discriminators' own step are not disturbed.
    """
    if module is None:
        yield
        return
    params = list(module.parameters())
    flags = [p.requires_grad for p in params]
    for p in params:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p, flag in zip(params, flags):
            p.requires_grad_(flag)


@MODELS.register_module()
class AdversarialSegmentor(VisionLanguageParts, TeacherStudentSegmentor):
    """Output-space adversarial adaptation (base of AdvSeg, AdvEnt and MinEnt).

    Training batches: ``inputs = {'labeled': (B_s, 3, H, W), 'weak': (B_t, 3, H, W)}``
    (source and target, the UDA dataset configs with ``PackTargetInputs``) and
    ``data_samples = {'labeled': [...], 'unlabeled': [...]}``. A batch without the target
    branch (or a plain tensor batch) trains the source segmentation loss only.

    Args:
        student (ConfigType): The segmentor (an ``EncoderDecoder``; its
            ``auxiliary_head``, when present, is the ``aux`` level; the aux segmentation
            weight 0.1 is that head's ``loss_decode.loss_weight``).
        discriminator (ConfigType, optional): Config of one discriminator, built once per
            level with ``in_channels`` = the number of classes. None: no discriminators
            (MinEnt). Default: ``FCDiscriminator`` (64, 128, 256, 512, LeakyReLU 0.2).
        discriminator_input (str): ``'softmax'`` (AdaptSegNet) or ``'entropy'`` (ADVENT's
            weighted self-information maps). Default: 'softmax'.
        lambda_adv (dict[str, float], optional): Weight of the adversarial term per level.
            Default: main 0.001, aux 0.0002 (AdaptSegNet's and ADVENT's).
        lambda_ent (dict[str, float], optional): Weight of MinEnt's direct entropy
            minimisation per level; None: no entropy term. Default: None.
        gan_loss (ConfigType): The GAN loss (``GANLoss``, ``gan_type='vanilla'`` for BCE
            as in the originals or ``'lsgan'``). Default: vanilla.
        source_label (float): Domain label of source predictions. Default: 0.0.
        target_label (float): Domain label of target predictions. Default: 1.0.
        disc_weights (dict[str, float]): Factors of the discriminator losses on source
            and target predictions. Default: 0.5 each (the anchors' ``loss / 2``).
        levels (tuple[str], optional): Output levels to train and adapt (segmentation
            loss, discriminator, entropy); None: ``main`` and, when the student has an
            auxiliary head, ``aux``. Default: None.
        upsample_to_input (bool): Upsample the logits to the input size before the
            softmax / entropy (the anchors' ``interp``); False feeds the head's
            resolution (cheaper, a documented option). Default: True.
        optim_keys (dict[str, str]): Names of the segmentor's and the discriminators'
            optimizers in the ``OptimWrapperDict``. Default: 'segmentor', 'discriminator'.
        guidance (dict, optional): The frozen dense CLIP of the vision-language parts
            (``DenseCLIPZeroShot``); built only when ``clip_guidance`` or
            ``vl_feature_distance`` is set. Default: None.
        clip_guidance (dict, optional): Dense CLIP guidance of the target prediction
            (the ``main`` level upsampled to the input), ``DenseCLIPGuidance`` arguments
            (lambda_0 0.1 with the linear decay, zeta 0.9, as SemiVL); adds
            ``unsup.loss_guidance`` to the segmentor's terms and logs
            ``unsup.guidance_coverage`` / ``unsup.lambda_guidance``. Default: None.
        vl_feature_distance (dict, optional): The VL feature distance on the source
            images (``VisionLanguageFeatureDistance`` arguments, plus ``guidance`` when
            ``clip_guidance`` is None), as :class:`DACS`'s: ``sup.loss_vl_fd``.
            Default: None.
        semi_train_cfg (dict, optional): ``sup_weight`` (source loss factor).
        semi_test_cfg (dict, optional): As :class:`TeacherStudentSegmentor`.
        data_preprocessor (ConfigType, optional): ``SemiSegDataPreProcessor``.
        init_cfg (dict, optional): Initialisation config.
    """

    vision_language_steps = ('loss_segmentor', )
    wires_vision_language = True

    def __init__(self,
                 student: ConfigType,
                 discriminator: OptConfigType = dict(type='FCDiscriminator'),
                 discriminator_input: str = 'softmax',
                 lambda_adv: Optional[Dict[str, float]] = dict(main=0.001, aux=0.0002),
                 lambda_ent: Optional[Dict[str, float]] = None,
                 gan_loss: ConfigType = dict(type='GANLoss', gan_type='vanilla'),
                 source_label: float = 0.0,
                 target_label: float = 1.0,
                 disc_weights: Dict[str, float] = dict(source=0.5, target=0.5),
                 levels: Optional[Tuple[str, ...]] = None,
                 upsample_to_input: bool = True,
                 optim_keys: Dict[str, str] = DEFAULT_OPTIM_KEYS,
                 guidance: OptConfigType = None,
                 clip_guidance: OptConfigType = None,
                 vl_feature_distance: OptConfigType = None,
                 semi_train_cfg: OptConfigType = None,
                 semi_test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(student=student, teacher=None, mixer=None,
                         semi_train_cfg=semi_train_cfg, semi_test_cfg=semi_test_cfg,
                         data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if discriminator_input not in DISCRIMINATOR_INPUTS:
            raise ValueError(f'discriminator_input must be one of {DISCRIMINATOR_INPUTS}, '
                             f'got {discriminator_input!r}')
        aux_head = getattr(self.student, 'auxiliary_head', None)
        if isinstance(aux_head, nn.ModuleList):
            raise ValueError(f'{type(self).__name__} adapts one auxiliary head, the student '
                             f'has {len(aux_head)}')
        self.levels = tuple(levels) if levels is not None else (
            ('main', 'aux') if aux_head is not None else ('main', ))
        for level in self.levels:
            if level not in LEVELS:
                raise ValueError(f'levels must be among {LEVELS}, got {level!r}')
        if 'aux' in self.levels and aux_head is None:
            raise ValueError("level 'aux' needs a student with an auxiliary_head")
        if discriminator is not None and lambda_adv is None:
            raise ValueError('a discriminator needs lambda_adv (weights per level)')
        if discriminator is None and lambda_ent is None:
            raise ValueError('without discriminators set lambda_ent (MinEnt), or there '
                             'is nothing to adapt')
        self.lambda_adv = self._level_weights('lambda_adv', lambda_adv)
        self.lambda_ent = self._level_weights('lambda_ent', lambda_ent)
        missing = {'source', 'target'} - set(disc_weights)
        if missing:
            raise ValueError(f'disc_weights needs the keys source and target, missing {missing}')
        self.disc_weights = dict(disc_weights)
        missing = set(DEFAULT_OPTIM_KEYS) - set(optim_keys)
        if missing:
            raise ValueError(f'optim_keys needs the keys {sorted(DEFAULT_OPTIM_KEYS)}, '
                             f'missing {sorted(missing)}')
        self.optim_keys = dict(optim_keys)
        self.discriminator_input = discriminator_input
        self.source_label = float(source_label)
        self.target_label = float(target_label)
        self.upsample_to_input = upsample_to_input
        self.gan_loss = MODELS.build(gan_loss)
        if discriminator is not None:
            num_classes = self.student.decode_head.num_classes
            self.discriminators = nn.ModuleDict({
                level: MODELS.build({'in_channels': num_classes, **discriminator})
                for level in self.levels})
        else:
            self.discriminators = None
        # The label of unlabeled pixels is the segmentation loss's (guidance padding).
        self.ignore_index = getattr(self.student.decode_head, 'ignore_index', 255)
        self.build_vision_language_parts(guidance, clip_guidance, vl_feature_distance)

    def _level_weights(self, name: str,
                       weights: Optional[Dict[str, float]]) -> Optional[Dict[str, float]]:
        if weights is None:
            return None
        missing = [lv for lv in self.levels if lv not in weights]
        if missing:
            raise ValueError(f'{name} has no weight for the levels {missing} (has '
                             f'{sorted(weights)})')
        return {lv: float(weights[lv]) for lv in self.levels}

    @property
    def adversarial(self) -> bool:
        """Whether this model trains discriminators (AdvSeg, AdvEnt; not MinEnt)."""
        return self.discriminators is not None

    def parts(self) -> Dict[str, nn.Module]:
        parts = super().parts()
        if self.adversarial:
            parts.update({f'discriminator.{lv}': d for lv, d in self.discriminators.items()})
        return parts

    @property
    def student_pass_names(self) -> Tuple[str, ...]:
        return ('source_forward', 'target_forward')

    # ------------------------------------------------------------------ passes
    def level_logits(self, inputs: Tensor) -> LevelDict:
        """One student pass: logits per level.

        Args:
            inputs (Tensor): (B, 3, H, W) images.

        Returns:
            dict[str, Tensor]: (B, N, h, w) logits of ``main`` (decode head) and ``aux``
            (auxiliary head) for every adapted level.
        """
        feats = self.student.extract_feat(inputs)
        logits = {'main': self.student.decode_head.forward(feats)}
        if 'aux' in self.levels:
            logits['aux'] = self.student.auxiliary_head.forward(feats)
        return logits

    def discriminator_maps(self, logits: LevelDict, size: torch.Size) -> LevelDict:
        """What the discriminators see: softmax or self-information per level.

        Args:
            logits (dict[str, Tensor]): (B, N, h, w) per level.
            size (torch.Size): (H, W) of the input, for ``upsample_to_input``.

        Returns:
            dict[str, Tensor]: (B, N, H, W) (or (B, N, h, w)) per level, float32.
        """
        maps = {}
        for level, value in logits.items():
            if self.upsample_to_input:
                value = self._upsample(value, size)
            prob = value.float().softmax(dim=1)
            maps[level] = prob if self.discriminator_input == 'softmax' else \
                self_information(prob)
        return maps

    # ------------------------------------------------------------------ losses
    def loss(self, inputs: Union[Tensor, Dict[str, Tensor]],
             data_samples: Union[List[SegDataSample], SampleDict]) -> Dict[str, Tensor]:
        """The segmentor's loss terms: ``sup.*`` (source) and ``adv.*`` / ``ent.*`` (target).

        The discriminators' own terms are :meth:`loss_discriminators` (see
        :meth:`train_step`).
        """
        return self.loss_segmentor(inputs, data_samples)[0]

    def loss_segmentor(self, inputs: Union[Tensor, Dict[str, Tensor]],
                       data_samples: Union[List[SegDataSample], SampleDict]
                       ) -> Tuple[Dict[str, Tensor], Dict[str, LevelDict]]:
        """Source and target terms of the segmentor, and the maps for the discriminators.

        Args:
            inputs (Tensor | dict[str, Tensor]): A plain (B, 3, H, W) source batch, or
                'labeled' (B_s, 3, H, W) and optionally 'weak' (B_t, 3, H, W) (target).
            data_samples (list | dict): The matching samples ('labeled', 'unlabeled').

        Returns:
            tuple: The loss dict, and ``{'source': maps, 'target': maps}`` (per level
            (B, N, H, W), still attached to the graph; empty without a target batch).
        """
        if not isinstance(inputs, dict):
            inputs, data_samples = {'labeled': inputs}, {'labeled': data_samples}
        if 'labeled' not in inputs:
            raise KeyError("a UDA batch needs a 'labeled' (source) branch; got "
                           f'branches {sorted(inputs)}')
        source = inputs['labeled']
        with self.backbone_outputs() as backbone_feats:
            logits = self.level_logits(source)
        losses = self.loss_source(logits, data_samples['labeled'])
        if self.vl_feature_distance is not None:
            gt = stack_pixel_field(data_samples['labeled'], 'gt_sem_seg').long()
            losses.update(add_prefix('sup.', self.loss_vl_feature_distance(
                source, backbone_feats[0], gt)))
        if TARGET_BRANCH not in inputs:
            return losses, {}
        target = inputs[TARGET_BRANCH]
        maps = {'source': self.discriminator_maps(logits, source.shape[-2:])}
        target_logits = self.level_logits(target)
        maps['target'] = self.discriminator_maps(target_logits, target.shape[-2:])
        losses.update(self.loss_target(maps['target']))
        if self.with_clip_guidance:
            targets = self.target_guidance(target, data_samples['unlabeled'])
            pred = self._upsample(target_logits['main'], target.shape[-2:])
            losses['unsup.loss_guidance'] = self.loss_guidance(pred, targets)
            losses.update(self.guidance_statistics(targets))
        return losses, maps

    def loss_source(self, logits: LevelDict, samples: List[SegDataSample]) -> Dict[str, Tensor]:
        """Segmentation loss of every level on the source, x ``sup_weight``.

        Returns:
            dict[str, Tensor]: ``sup.decode.*`` and ``sup.aux.*`` (MMSeg's names; the
            heads' ``loss_decode`` weights apply, 0.1 for the auxiliary head).
        """
        losses = add_prefix('decode.', self.student.decode_head.loss_by_feat(
            logits['main'], samples))
        if 'aux' in logits:
            losses.update(add_prefix('aux.', self.student.auxiliary_head.loss_by_feat(
                logits['aux'], samples)))
        return add_prefix('sup.', reweight_losses(losses, self.sup_weight))

    def loss_target(self, maps: LevelDict) -> Dict[str, Tensor]:
        """The segmentor's target terms: fool the frozen discriminators, minimise entropy.

        Args:
            maps (dict[str, Tensor]): Target maps per level (B, N, H, W), attached.

        Returns:
            dict[str, Tensor]: ``adv.loss_<level>`` = lambda_adv x GAN(D(map), source
            label), ``ent.loss_<level>`` = lambda_ent x mean normalised entropy.
        """
        losses = {}
        if self.adversarial:
            with frozen_parameters(self.discriminators):
                for level, value in maps.items():
                    pred = self.discriminators[level](value)
                    losses[f'adv.loss_{level}'] = self.lambda_adv[level] * self.gan_loss(
                        pred, self.source_label)
        if self.lambda_ent is not None:
            for level, value in maps.items():
                # sum_c of the self-information map = the normalised entropy (ADVENT).
                entropy = value.sum(dim=1).mean() if self.discriminator_input == 'entropy' \
                    else entropy_loss(value)
                losses[f'ent.loss_{level}'] = self.lambda_ent[level] * entropy
        return losses

    def loss_discriminators(self, maps: Dict[str, LevelDict]) -> Dict[str, Tensor]:
        """Discriminator terms on detached source and target maps.

        Args:
            maps (dict): ``{'source': {level: (B_s, N, H, W)}, 'target': {...}}``.

        Returns:
            dict[str, Tensor]: ``disc.loss_<level>_source`` (label ``source_label``) and
            ``disc.loss_<level>_target`` (``target_label``), x ``disc_weights``;
            ``disc.acc_<level>`` the fraction of positions told apart correctly.
        """
        if not self.adversarial:
            raise RuntimeError(f'{type(self).__name__} has no discriminators')
        labels = {'source': self.source_label, 'target': self.target_label}
        losses = {}
        for level, disc in self.discriminators.items():
            correct = []
            for domain, label in labels.items():
                pred = disc(maps[domain][level].detach())
                losses[f'disc.loss_{level}_{domain}'] = self.disc_weights[domain] * \
                    self.gan_loss(pred, label)
                # A position counts as right when its output is nearer its own label.
                other = labels['target' if domain == 'source' else 'source']
                threshold = 0.0 if self.gan_loss.gan_type == 'vanilla' else (label + other) / 2
                says = pred.detach().float() > threshold
                correct.append((says == (label > other)).float().flatten())
            losses[f'disc.acc_{level}'] = torch.cat(correct).mean()
        return losses

    # ------------------------------------------------------------------ training step
    #: ``forward`` modes of the two passes of :meth:`train_step` (they run through the
    #: DDP wrapper, so that DDP synchronises the gradients of both backward passes).
    SEGMENTOR_MODE = 'adv_segmentor'
    DISCRIMINATOR_MODE = 'adv_discriminator'

    def forward(self, inputs, data_samples=None, mode: str = 'tensor'):
        """MMSeg's modes plus the two training passes of :meth:`train_step`.

        ``mode='adv_segmentor'``: :meth:`loss_segmentor` (losses, maps);
        ``mode='adv_discriminator'``: :meth:`loss_discriminators` with ``inputs`` = maps.
        """
        if mode == self.SEGMENTOR_MODE:
            return self.loss_segmentor(inputs, data_samples)
        if mode == self.DISCRIMINATOR_MODE:
            return self.loss_discriminators(inputs)
        return super().forward(inputs, data_samples, mode)

    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: Union[OptimWrapper, OptimWrapperDict],
                   ddp: Optional[nn.Module] = None) -> Dict[str, Tensor]:
        """Segmentor step, then discriminator step (see the module docstring).

        Args:
            data (dict | tuple | list): A batch from the dataloader.
            optim_wrapper (OptimWrapperDict): With the keys of ``optim_keys`` (one
                optim wrapper suffices for MinEnt).
            ddp (nn.Module, optional): The DDP wrapper of this model
                (``AdversarialDistributedDataParallel`` passes itself): both passes run
                through it so that gradients are averaged over the ranks.

        Returns:
            dict[str, Tensor]: The logged terms of both steps.
        """
        model = self if ddp is None else ddp
        seg_wrapper, disc_wrapper = self._optim_wrappers(optim_wrapper)
        with seg_wrapper.optim_context(model):
            data = self.data_preprocessor(data, True)
            losses, maps = model(data['inputs'], data['data_samples'], mode=self.SEGMENTOR_MODE)
            parsed, log_vars = self.parse_losses(losses)
        seg_wrapper.update_params(parsed)
        if disc_wrapper is None or not maps:
            return log_vars
        detached = {d: {lv: m.detach() for lv, m in level.items()} for d, level in maps.items()}
        with disc_wrapper.optim_context(model):
            disc_losses = model(detached, None, mode=self.DISCRIMINATOR_MODE)
            disc_parsed, disc_log_vars = self.parse_losses(disc_losses)
        disc_wrapper.update_params(disc_parsed)
        disc_log_vars.pop('loss')
        log_vars['disc.loss'] = disc_parsed.detach()
        log_vars.update(disc_log_vars)
        return log_vars

    def _optim_wrappers(self, optim_wrapper: Union[OptimWrapper, OptimWrapperDict]
                        ) -> Tuple[OptimWrapper, Optional[OptimWrapper]]:
        seg_key, disc_key = self.optim_keys['segmentor'], self.optim_keys['discriminator']
        if isinstance(optim_wrapper, OptimWrapperDict):
            missing = [k for k in (seg_key, disc_key) if k not in optim_wrapper]
            if not self.adversarial and disc_key in missing:
                missing.remove(disc_key)
            if missing:
                raise KeyError(f'{type(self).__name__}: optim_wrapper lacks {missing} (has '
                               f'{sorted(optim_wrapper.keys())}); use the '
                               "'SubmoduleOptimWrapperConstructor' config of "
                               'configs/_base_/schedules/uda_adversarial_*.py')
            disc = optim_wrapper[disc_key] if self.adversarial else None
            return optim_wrapper[seg_key], disc
        if self.adversarial:
            raise TypeError(f'{type(self).__name__} trains two optimizers: optim_wrapper must '
                            f"be an OptimWrapperDict with keys '{seg_key}' and '{disc_key}', "
                            f'got {type(optim_wrapper).__name__}')
        return optim_wrapper, None


@MODELS.register_module()
class AdvSeg(AdversarialSegmentor):
    """AdaptSegNet (Tsai et al., CVPR 2018): discriminators on the softmax outputs.

    Args: As :class:`AdversarialSegmentor` (``discriminator_input='softmax'``).
    """

    def __init__(self, student: ConfigType, discriminator_input: str = 'softmax',
                 **kwargs) -> None:
        super().__init__(student, discriminator_input=discriminator_input, **kwargs)


@MODELS.register_module()
class AdvEnt(AdversarialSegmentor):
    """ADVENT's AdvEnt (Vu et al., CVPR 2019): discriminators on the self-information maps.

    ``lambda_ent`` adds MinEnt's direct entropy term to the same training (the paper's
    "AdvEnt+MinEnt" is instead an ensemble of two separately trained models: train
    :class:`AdvEnt` and :class:`MinEnt` and average their predictions).

    Args: As :class:`AdversarialSegmentor` (``discriminator_input='entropy'``).
    """

    def __init__(self, student: ConfigType, discriminator_input: str = 'entropy',
                 **kwargs) -> None:
        super().__init__(student, discriminator_input=discriminator_input, **kwargs)


@MODELS.register_module()
class MinEnt(AdversarialSegmentor):
    """ADVENT's MinEnt: direct entropy minimisation on the target, no discriminator.

    One optimizer (a plain optim wrapper, or an ``OptimWrapperDict`` with the
    segmentor's key only).

    Args:
        student (ConfigType): The segmentor.
        lambda_ent (dict[str, float]): Entropy weight per level. Default: main 0.001,
            aux 0.0002 (ADVENT's ``LAMBDA_ENT_MAIN`` / ``LAMBDA_ENT_AUX``).
        **kwargs: As :class:`AdversarialSegmentor` (``discriminator`` and ``lambda_adv``
            are None).
    """

    def __init__(self, student: ConfigType,
                 lambda_ent: Dict[str, float] = dict(main=0.001, aux=0.0002),
                 discriminator: OptConfigType = None,
                 lambda_adv: Optional[Dict[str, float]] = None,
                 discriminator_input: str = 'entropy', **kwargs) -> None:
        super().__init__(student, discriminator=discriminator, lambda_adv=lambda_adv,
                         lambda_ent=lambda_ent, discriminator_input=discriminator_input,
                         **kwargs)


__all__ = ['AdversarialSegmentor', 'AdvSeg', 'AdvEnt', 'MinEnt', 'frozen_parameters',
           'LEVELS', 'DISCRIMINATOR_INPUTS']
