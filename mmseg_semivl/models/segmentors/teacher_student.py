"""The teacher-student core of semi-supervised segmentation and domain adaptation.

Composed like MMDet 3.x's ``SemiBaseDetector``: a student (any MMSeg segmentor config),
an optional teacher, frozen reference models, a mixer and ``semi_train_cfg`` /
``semi_test_cfg``. One training step is a fixed sequence of methods that a method
(UniMatch, SemiVL, DACS, ...) overrides one at a time::

    loss_supervised(labeled)                    -> 'sup.*'    (x sup_weight)
    pseudo_labels(weak)                         -> label, conf   (teacher, or the student)
    mixed_views(strong views, targets)          -> per view: image + targets (the mixer)
    loss_unsupervised(mixed views)              -> 'unsup.*'  (x unsup_weight)
"""
from __future__ import annotations

import copy
from typing import Dict, List, Optional, Tuple, Union

import torch
import torch.nn as nn
from mmengine.config import ConfigDict
from mmseg.models.segmentors import BaseSegmentor
from mmseg.models.utils import resize
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from mmseg.utils import ConfigType, OptConfigType, OptMultiConfig
from torch import Tensor
from torch.nn.modules.dropout import _DropoutNd

from ..utils import MixPartnerSelector, add_prefix, reweight_losses

SampleDict = Dict[str, List[SegDataSample]]

#: Branch name of strong view i (1-based), as packed by ``PackSemiInputs``.
STRONG_BRANCH = 'strong{}'
#: Loss/target name of strong view i (1-based).
VIEW_NAME = 's{}'
#: Attribute names a frozen model cannot take.
_RESERVED = ('student', 'teacher', 'data_preprocessor', 'mixer')
#: ``teacher_mode`` values: which of the teacher's modules stay in eval mode.
TEACHER_MODES = ('no_dropout', 'eval')
#: ``semi_train_cfg`` keys and their defaults (MMDet's).
SEMI_TRAIN_DEFAULTS = dict(sup_weight=1.0, unsup_weight=1.0)
#: ``semi_test_cfg.predict_on`` values.
PREDICT_ON = ('student', 'teacher')


def is_dropout(module: nn.Module) -> bool:
    """Dropout and stochastic depth (``DropPath`` of mmcv/timm/open_clip) modules."""
    return isinstance(module, _DropoutNd) or 'DropPath' in type(module).__name__


@MODELS.register_module()
class TeacherStudentSegmentor(BaseSegmentor):
    """Student, optional teacher, frozen reference models and a mixer.

    Training batches come from ``SemiSegDataPreProcessor`` as dicts of branches,
    ``inputs = {'labeled', 'weak', 'strong1', ..., 'strong{N}'}`` and
    ``data_samples = {'labeled', 'unlabeled'}``; a plain tensor batch trains the
    student supervised only (MMSeg's ``EncoderDecoder.loss``). Prediction is the
    student's or the teacher's (``semi_test_cfg.predict_on``).

    Parts:

    * ``student``: trained by gradient descent; ``backbone``, ``decode_head``, ``neck``,
      ``auxiliary_head``, ``test_cfg`` and ``align_corners`` of this segmentor are the
      student's.
    * ``teacher``: None (pseudo-labels from the student's own weak pass, UniMatch and
      SemiVL), ``'ema'`` (a deep copy of the student whose weights ``EMATeacherHook``
      averages; no gradients) or a segmentor config of its own. The teacher is saved in
      checkpoints (resuming continues its average).
    * frozen reference models (:meth:`add_frozen_model`): eval mode forever, no
      gradients, left out of checkpoints by their registered names (:attr:`frozen_names`)
      and filled in from the live model on loading, so strict loading still passes.
      They are attributes of this segmentor under their names (``model.guidance``).
    * ``mixer``: mixes every unlabeled view with a partner sample
      (:class:`~mmseg_semivl.models.utils.CutMixBoxMixer`,
      :class:`~mmseg_semivl.models.utils.ClassMixMasker`).

    State dicts: ``student.*`` and ``teacher.*``. A state dict without either prefix
    (a plain MMSeg ``EncoderDecoder`` checkpoint, or one of this package before the
    teacher-student core, whose keys were ``backbone.*``, ``decode_head.*``) loads into
    the student and, when there is one, the teacher; a checkpoint without teacher keys
    initialises the teacher from the student.

    Args:
        student (ConfigType): Segmentor config of the student (an ``EncoderDecoder``-like
            model: ``extract_feat``, ``decode_head``, ``loss``, ``predict``).
        teacher (str | ConfigType, optional): None, ``'ema'`` or a segmentor config.
            Default: None.
        frozen_models (dict[str, ConfigType], optional): Frozen reference models by name.
            Default: None.
        mixer (ConfigType, optional): The mixer. Default: ``CutMixBoxMixer``.
        loss_consistency (ConfigType): Loss of a view against the pseudo-labels, called
            as ``loss(pred (B, N, H, W), label (B, H, W), conf (B, H, W), valid (B, H, W))``.
            Default: ``ConfidenceMaskedCrossEntropy`` (tau 0.95, mean over valid pixels).
        num_strong_views (int): Strong views per unlabeled image; the batch must hold the
            branches ``strong1`` ... ``strong{N}`` (``PackSemiInputs(num_strong_views=N)``).
            Default: 2.
        teacher_mode (str): ``'no_dropout'``: the teacher follows the segmentor's
            train/eval mode except its dropout and drop-path modules, which stay in eval
            mode (DAFormer's EMA teacher); ``'eval'``: the whole teacher stays in eval
            mode (MMDet's frozen teacher). Default: 'no_dropout'.
        semi_train_cfg (dict, optional): ``sup_weight`` and ``unsup_weight`` (the factors
            of the ``sup.`` and ``unsup.`` loss terms). Default: both 1.0.
        semi_test_cfg (dict, optional): ``predict_on`` (``'student'`` or ``'teacher'``).
            Default: 'student'.
        data_preprocessor (ConfigType, optional): The two-stream pre-processor
            (``SemiSegDataPreProcessor``); the student's own is not used in training.
        init_cfg (dict, optional): Initialisation config of this wrapper.
    """

    def __init__(self,
                 student: ConfigType,
                 teacher: Union[str, ConfigType, None] = None,
                 frozen_models: Optional[Dict[str, ConfigType]] = None,
                 mixer: OptConfigType = dict(type='CutMixBoxMixer'),
                 loss_consistency: ConfigType = dict(
                     type='ConfidenceMaskedCrossEntropy', threshold=0.95, normalizer='valid'),
                 num_strong_views: int = 2,
                 teacher_mode: str = 'no_dropout',
                 semi_train_cfg: OptConfigType = None,
                 semi_test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if teacher_mode not in TEACHER_MODES:
            raise ValueError(f'teacher_mode must be one of {TEACHER_MODES}, got {teacher_mode!r}')
        if num_strong_views < 1:
            raise ValueError(f'num_strong_views must be >= 1, got {num_strong_views}')
        self._frozen_names: List[str] = []
        self.student = MODELS.build(student)
        self.teacher_mode = teacher_mode
        self.teacher_is_ema = teacher == 'ema'
        self.teacher = self._build_teacher(teacher)
        self.loss_consistency = MODELS.build(loss_consistency)
        self.num_strong_views = num_strong_views
        self.mixer = MODELS.build(mixer) if mixer is not None else None
        self.mix_partners = MixPartnerSelector()
        self.semi_train_cfg = ConfigDict({**SEMI_TRAIN_DEFAULTS, **(semi_train_cfg or {})})
        self.semi_test_cfg = ConfigDict({'predict_on': 'student', **(semi_test_cfg or {})})
        if self.semi_test_cfg.predict_on not in PREDICT_ON:
            raise ValueError(f'semi_test_cfg.predict_on must be one of {PREDICT_ON}, got '
                             f'{self.semi_test_cfg.predict_on!r}')
        if self.semi_test_cfg.predict_on == 'teacher' and self.teacher is None:
            raise ValueError("semi_test_cfg.predict_on='teacher' needs a teacher "
                             "(teacher='ema' or a config)")
        for name, cfg in (frozen_models or {}).items():
            self.add_frozen_model(name, MODELS.build(cfg))
        self._register_state_dict_hook(_drop_frozen_keys)
        self._register_load_state_dict_pre_hook(_adapt_loaded_state, with_module=True)

    # ------------------------------------------------------------------ parts
    def _build_teacher(self, teacher: Union[str, ConfigType, None]) -> Optional[nn.Module]:
        if teacher is None:
            return None
        if teacher == 'ema':
            model = copy.deepcopy(self.student)
        elif isinstance(teacher, dict):
            model = MODELS.build(teacher)
        else:
            raise TypeError(f"teacher must be None, 'ema' or a segmentor config, got {teacher!r}")
        model.requires_grad_(False)  # updated by EMATeacherHook, never by the optimizer
        return model

    def add_frozen_model(self, name: str, module: Optional[nn.Module]) -> None:
        """Register a frozen reference model as attribute ``name``.

        It is put in eval mode with ``requires_grad=False``, stays in eval mode through
        :meth:`train`, and its weights are left out of :meth:`state_dict` (rebuilt from
        its own ``pretrained`` weights at start-up, which saves a full network per
        checkpoint). ``None`` registers the name without a model (a disabled part).
        """
        if name in _RESERVED or name in self._frozen_names or (
                name in self._modules or hasattr(type(self), name)):
            raise ValueError(f'cannot register a frozen model as {name!r}: the name is taken')
        if module is not None:
            module.requires_grad_(False)
            module.eval()
        self.add_module(name, module)
        self._frozen_names.append(name)

    @property
    def frozen_names(self) -> Tuple[str, ...]:
        """Names of the registered frozen models (also those registered as None)."""
        return tuple(self._frozen_names)

    @property
    def frozen_models(self) -> Dict[str, nn.Module]:
        """The frozen reference models by name (without the disabled ones)."""
        return {n: getattr(self, n) for n in self._frozen_names if getattr(self, n) is not None}

    def parts(self) -> Dict[str, nn.Module]:
        """The networks of this segmentor by role, for analysis and benchmarks.

        Returns:
            dict[str, nn.Module]: ``'student'``, ``'teacher'`` (when there is one) and
            ``'frozen.<name>'`` for every frozen model.
        """
        parts = {'student': self.student}
        if self.teacher is not None:
            parts['teacher'] = self.teacher
        parts.update({f'frozen.{n}': m for n, m in self.frozen_models.items()})
        return parts

    @property
    def student_pass_names(self) -> Tuple[str, ...]:
        """The student's forward passes of one training step, in call order (benchmarks)."""
        weak = () if self.teacher is not None else ('weak_forward', )
        return ('labeled_forward', *weak, 'strong_forward')

    def train(self, mode: bool = True) -> 'TeacherStudentSegmentor':
        super().train(mode)
        for module in self.frozen_models.values():
            module.eval()  # frozen references never train (BN statistics, dropout)
        if self.teacher is not None:
            if self.teacher_mode == 'eval':
                self.teacher.eval()
            else:
                for module in self.teacher.modules():
                    if is_dropout(module):
                        module.eval()
        return self

    def init_weights(self) -> None:
        """Initialise the student and the frozen models; an EMA teacher copies the student."""
        if self.teacher_is_ema:
            # Its weights are the student's, so initialising it (and loading its
            # pretrained weights a second time) would only cost time and random numbers.
            self.teacher._is_init = True
        super().init_weights()
        if self.teacher_is_ema:
            self.teacher.load_state_dict(self.student.state_dict())

    # The student's structure, for code written against MMSeg's EncoderDecoder.
    @property
    def backbone(self) -> nn.Module:
        return self.student.backbone

    @property
    def decode_head(self) -> nn.Module:
        return self.student.decode_head

    @property
    def neck(self) -> Optional[nn.Module]:
        return getattr(self.student, 'neck', None)

    @property
    def auxiliary_head(self) -> Optional[nn.Module]:
        return getattr(self.student, 'auxiliary_head', None)

    @property
    def align_corners(self) -> bool:
        return self.student.decode_head.align_corners

    @property
    def train_cfg(self):
        return self.student.train_cfg

    @property
    def test_cfg(self):
        return self.student.test_cfg

    @test_cfg.setter
    def test_cfg(self, cfg) -> None:
        # Inference settings (mode, crop, stride) apply to whichever network predicts.
        for model in self._trained_models():
            model.test_cfg = copy.deepcopy(cfg)

    @property
    def num_classes(self) -> int:
        return self.predict_model.num_classes

    @num_classes.setter
    def num_classes(self, value: int) -> None:
        for model in self._trained_models():
            model.num_classes = value  # HeadSyncedEncoderDecoder refuses a wrong value

    @property
    def out_channels(self) -> int:
        return self.predict_model.out_channels

    @out_channels.setter
    def out_channels(self, value: int) -> None:
        for model in self._trained_models():
            model.out_channels = value

    def _trained_models(self) -> List[nn.Module]:
        return [m for m in (self.student, self.teacher) if m is not None]

    @property
    def sup_weight(self) -> float:
        return self.semi_train_cfg.sup_weight

    @property
    def unsup_weight(self) -> float:
        return self.semi_train_cfg.unsup_weight

    @property
    def pseudo_label_model(self) -> nn.Module:
        """The network that labels unlabeled images: the teacher, else the student."""
        return self.teacher if self.teacher is not None else self.student

    @property
    def predict_model(self) -> nn.Module:
        """The network used for prediction (``semi_test_cfg.predict_on``)."""
        return self.teacher if self.semi_test_cfg.predict_on == 'teacher' else self.student

    # ------------------------------------------------------------------ inference
    def extract_feat(self, inputs: Tensor) -> List[Tensor]:
        return self.predict_model.extract_feat(inputs)

    def encode_decode(self, inputs: Tensor, batch_img_metas: List[dict]) -> Tensor:
        return self.predict_model.encode_decode(inputs, batch_img_metas)

    def predict(self, inputs: Tensor, data_samples: Optional[List[SegDataSample]] = None):
        return self.predict_model.predict(inputs, data_samples)

    def _forward(self, inputs: Tensor, data_samples: Optional[List[SegDataSample]] = None):
        return self.predict_model._forward(inputs, data_samples)

    # ------------------------------------------------------------------ training
    def loss(self, inputs: Union[Tensor, Dict[str, Tensor]],
             data_samples: Union[List[SegDataSample], SampleDict]) -> Dict[str, Tensor]:
        """Named, already-weighted loss terms (``sup.*``, ``unsup.*``) and statistics.

        Args:
            inputs (Tensor | dict[str, Tensor]): A plain (B, 3, H, W) batch, or the
                branches 'labeled' (B_l, 3, H, W) and, optionally, 'weak', 'strong1'
                ... 'strong{N}' (B_u, 3, H, W) of one crop size.
            data_samples (list | dict): The matching samples, grouped into 'labeled'
                and 'unlabeled' for branch inputs.

        Returns:
            dict[str, Tensor]: Terms whose key contains 'loss' are summed by MMEngine;
            the rest are logged.
        """
        if not isinstance(inputs, dict):
            return self.student.loss(inputs, data_samples)
        if 'labeled' not in inputs:
            raise KeyError("a semi-supervised batch needs a 'labeled' branch; got "
                           f'branches {sorted(inputs)}')
        if not self.trains_unlabeled(inputs):
            return self.loss_supervised(inputs['labeled'], data_samples['labeled'])
        return self.loss_semi_supervised(inputs, data_samples)

    def trains_unlabeled(self, inputs: Dict[str, Tensor]) -> bool:
        """Whether this batch trains on unlabeled images (it has a 'weak' branch)."""
        return 'weak' in inputs

    def loss_supervised(self, inputs: Tensor, samples: List[SegDataSample]) -> Dict[str, Tensor]:
        """The student's own loss on labeled images, x ``sup_weight``, as ``sup.*``."""
        return add_prefix('sup.', reweight_losses(self.student.loss(inputs, samples),
                                                  self.sup_weight))

    def loss_semi_supervised(self, inputs: Dict[str, Tensor],
                             data_samples: SampleDict) -> Dict[str, Tensor]:
        """Generic step: supervised, pseudo-labels, mixed views, unsupervised terms."""
        samples = data_samples['unlabeled']
        losses = self.loss_supervised(inputs['labeled'], data_samples['labeled'])
        weak = inputs['weak']
        targets = dict(self.pseudo_labels(weak), valid=self.valid_mask(samples, weak))
        views = self.mixed_views(self.strong_views(inputs), targets, samples)
        losses.update(self.loss_unsupervised(views, weak.shape[-2:]))
        return losses

    def strong_views(self, inputs: Dict[str, Tensor]) -> Dict[str, Tensor]:
        """The strong views by view name (``s1`` ... ``s{N}``), (B_u, 3, H, W) each.

        Raises:
            KeyError: If the batch holds another number of strong views than
                ``num_strong_views`` (``PackSemiInputs(num_strong_views=...)`` differs).
        """
        expected = [STRONG_BRANCH.format(i) for i in range(1, self.num_strong_views + 1)]
        found = sorted(k for k in inputs if k.startswith('strong'))
        if found != sorted(expected):
            raise KeyError(f'the segmentor trains num_strong_views={self.num_strong_views} '
                           f'({expected}) but the batch holds {found}: set the same number '
                           'in PackSemiInputs, StrongAugment, GenerateCutMixBox and the model')
        return {VIEW_NAME.format(i): inputs[b] for i, b in enumerate(expected, start=1)}

    @torch.no_grad()
    def pseudo_labels(self, weak: Tensor,
                      student_logits: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """Pseudo-labels of the weak views, (B_u, H, W) 'label' (long) and 'conf'.

        From the teacher when there is one, else from ``student_logits`` (the student's
        weak prediction of the same step, UniMatch) or a student pass.
        """
        if self.teacher is None and student_logits is not None:
            logits = student_logits.detach()
        else:
            model = self.pseudo_label_model
            logits = model.decode_head(model.extract_feat(weak))
        return self.labels_from_logits(logits, weak.shape[-2:])

    def labels_from_logits(self, logits: Tensor, size: torch.Size) -> Dict[str, Tensor]:
        """Upsample (B, N, h, w) logits to ``size``: 'label' = argmax, 'conf' = max prob."""
        conf, label = self._upsample(logits, size).softmax(dim=1).max(dim=1)
        return dict(label=label, conf=conf)

    def mixed_views(self, views: Dict[str, Tensor], targets: Dict[str, Tensor],
                    samples: List[SegDataSample]) -> Dict[str, Dict[str, Tensor]]:
        """Mix every view and the per-pixel targets with a partner sample.

        Args:
            views (dict[str, Tensor]): Images by view name, (B, 3, H, W) each.
            targets (dict[str, Tensor]): Per-pixel targets of the unlabeled images
                ((B, H, W): 'label', 'conf', 'valid', ...), shared by all views.
            samples (list[SegDataSample]): The unlabeled samples (the boxes).

        Returns:
            dict[str, dict[str, Tensor]]: For every view, its mixed image (under the
            view's name) and the targets mixed with the same mask. Without a mixer the
            views are returned unmixed.
        """
        own = {**views, **targets}
        if self.mixer is None:
            return {v: {v: img, **targets} for v, img in views.items()}
        partner = self.mix_partners(own)
        mixed = {}
        for index, view in enumerate(views, start=1):
            keys = [view, *targets]
            mask = self.mixer.mask(index, samples, partner)
            mixed[view] = self.mixer.mix({k: own[k] for k in keys},
                                         {k: partner[k] for k in keys}, mask)
        return mixed

    def loss_unsupervised(self, views: Dict[str, Dict[str, Tensor]],
                          size: torch.Size) -> Dict[str, Tensor]:
        """One student pass over all mixed views; ``unsup.loss_<view>`` = mean over views."""
        logits = self.student.decode_head(self.student.extract_feat(
            torch.cat([t[v] for v, t in views.items()]))).chunk(len(views))
        weight = self.unsup_weight / len(views)
        losses = {}
        for (view, t), view_logits in zip(views.items(), logits):
            pred = self._upsample(view_logits, size)
            losses[f'loss_{view}'] = weight * self.loss_consistency(
                pred, t['label'], t['conf'], t['valid'])
        return add_prefix('unsup.', losses)

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def valid_mask(samples: List[SegDataSample], like: Tensor) -> Tensor:
        """(B, H, W) bool validity of the unlabeled pixels (False on padding).

        Samples without ``valid_mask`` count as valid everywhere.
        """
        if all('valid_mask' in s for s in samples):
            return stack_pixel_field(samples, 'valid_mask').bool()
        return torch.ones((like.shape[0], *like.shape[-2:]), dtype=torch.bool,
                          device=like.device)

    def _norm_stats(self, like: Tensor) -> Tuple[Tensor, Tensor]:
        """(3, 1, 1) mean and std of the pre-processor (0-255), on ``like``'s device.

        Without normalisation in the pre-processor: mean 0, std 1.
        """
        pre = self.data_preprocessor
        if not getattr(pre, '_enable_normalize', False):
            ones = torch.ones(3, 1, 1, device=like.device)
            return ones * 0, ones
        return pre.mean.to(like), pre.std.to(like)

    def _upsample(self, logits: Tensor, size: torch.Size) -> Tensor:
        return resize(logits, size=size, mode='bilinear', align_corners=self.align_corners)

    # ------------------------------------------------------------------ checkpoints
    def convert_state_dict(self, state_dict: dict, prefix: str = '') -> dict:
        """Map a checkpoint's keys to this segmentor's layout, in place.

        A state dict without ``student.`` / ``teacher.`` keys (a plain segmentor, or
        this package's flat layout before the teacher-student core) is moved under
        ``student.`` and, when there is a teacher, copied under ``teacher.``; one with
        student keys only gives the teacher the student's weights. Frozen models' and
        the data pre-processor's keys are left where they are.

        Args:
            state_dict (dict): The state dict, changed in place.
            prefix (str): Key prefix of this module inside ``state_dict``.

        Returns:
            dict: ``state_dict``.
        """
        keys = [k for k in state_dict if k.startswith(prefix)]
        fixed = tuple(f'{prefix}{n}.' for n in (*self._frozen_names, 'data_preprocessor'))
        movable = [k for k in keys if not k.startswith(fixed)]
        student, teacher = prefix + 'student.', prefix + 'teacher.'
        if not any(k.startswith((student, teacher)) for k in movable):
            for key in movable:
                state_dict[student + key[len(prefix):]] = state_dict.pop(key)
        if self.teacher is not None and not any(k.startswith(teacher) for k in state_dict):
            for key in [k for k in state_dict if k.startswith(student)]:
                state_dict[teacher + key[len(student):]] = state_dict[key]
        return state_dict


def stack_pixel_field(samples: List[SegDataSample], field: str) -> Tensor:
    """Stack a PixelData field of every sample: list of (1, H, W) -> (B, H, W)."""
    try:
        return torch.stack([getattr(s, field).data.squeeze(0) for s in samples])
    except AttributeError as err:
        raise KeyError(f'unlabeled data samples lack the field {field!r}; the unlabeled '
                       'pipeline must end with PackSemiInputs(branch="unlabeled")') from err


def _drop_frozen_keys(module: TeacherStudentSegmentor, state_dict: dict, prefix: str,
                      local_metadata: dict) -> dict:
    frozen = tuple(f'{prefix}{n}.' for n in module.frozen_names)
    for key in [k for k in state_dict if k.startswith(frozen)]:
        del state_dict[key]
    return state_dict


def _adapt_loaded_state(module: TeacherStudentSegmentor, state_dict: dict, prefix: str,
                        local_metadata: dict, strict: bool, missing_keys: list,
                        unexpected_keys: list, error_msgs: list) -> None:
    module.convert_state_dict(state_dict, prefix)
    # Checkpoints never carry the frozen models; fill in the live weights so strict
    # loading (MMSeg's init_model, resume) does not report them missing.
    for name, frozen in module.frozen_models.items():
        for key, value in frozen.state_dict(prefix=f'{prefix}{name}.').items():
            state_dict.setdefault(key, value)


__all__ = ['TeacherStudentSegmentor', 'stack_pixel_field', 'is_dropout', 'STRONG_BRANCH',
           'VIEW_NAME']
