"""DUDA: distilled unsupervised domain adaptation for lightweight students (seed 002).

Three networks (four with extra frozen teachers)::

    heavy.student  (heavyweight, trained)  --EMA-->  heavy.teacher  (EMATeacherHook)
         \\__ DACS self-training (the heavy pair: ``self.heavy``, a DACS module)
    student        (lightweight, trained, the only network deployed)

One step: the heavy pair runs its DACS step (source CE + ClassMix pseudo-label CE, with
DAFormer's FD / MIC when its config enables them) and hands its pseudo-labels and its
mixed view to the lightweight student, which trains on

    pre-adaptation (iter < pre_adapt_iters):  source CE + CE to the heavy teacher's one-hot
                                              pseudo-labels on the mixed view ('loss_hard')
    then:  source CE + (1 - s_t) 'loss_hard' + s_t 'loss_kd'      (1) gradual distillation
           + 'loss_inc' (class-weighted, on disagreeing pixels)   (2) inconsistency loss
           soft target = weighted mean of the teachers' softmax   (3) multiple teachers
           (EMA teacher, heavy student, optional frozen teachers)

Each element is an argument that switches it off (the ablation): ``distillation=None``
(no soft target), ``distillation.schedule=None`` (soft target at once, not gradual),
``inconsistency=None``, ``teacher_weights=dict(ema=1.0)`` (one teacher). The paper leaves
all of them open; the defaults are listed in docs/deviations.md ("DUDA: interpretations").
"""
from __future__ import annotations

import contextlib
from typing import Dict, Iterator, Optional, Tuple

import torch
import torch.nn as nn
from mmengine.dist import all_reduce
from mmengine.logging import MessageHub
from mmengine.runner.checkpoint import load_checkpoint
from mmseg.registry import MODELS
from mmseg.utils import ConfigType, OptConfigType, OptMultiConfig
from torch import Tensor

from ..utils import add_prefix
from ..utils.distillation import (build_schedule, class_disagreement,
                                  class_weights_from_rates, ensemble_probs, inconsistency_loss,
                                  mix_soft_target, soft_distillation_loss)
from ..utils.self_training import pixel_weighted_cross_entropy
from .dacs import DACS, _check_mmseg_inference_keys, check_crop_tiles
from .teacher_student import SampleDict, TeacherStudentSegmentor

#: Buffer of the per-class heavy-vs-light disagreement rates (saved in checkpoints).
INCONSISTENCY_BUFFER = 'class_inconsistency'
#: Names of the built-in teachers in ``teacher_weights``.
BUILTIN_TEACHERS = ('ema', 'heavy')
DISTILLATION_DEFAULTS = dict(schedule=dict(ramp_iters=8000, shape='linear',
                                           direction='hard_to_soft', final=1.0),
                             temperature=1.0, loss_weight=1.0)
INCONSISTENCY_DEFAULTS = dict(loss_weight=1.0, momentum=0.99, gamma=1.0, eps=0.05,
                              only_disagreeing=True, initial_rate=1.0)


@MODELS.register_module()
class DUDASelfTraining(DACS):
    """DACS whose target pseudo-labels also carry the teacher's logits ('logits').

    DUDA reuses them as the EMA teacher's soft prediction instead of a second pass.
    """

    def labels_from_logits(self, logits: Tensor, size: torch.Size) -> Dict[str, Tensor]:
        return dict(super().labels_from_logits(logits, size), logits=logits)


@contextlib.contextmanager
def eval_mode(module: nn.Module) -> Iterator[nn.Module]:
    """Run ``module`` in eval mode (no dropout, BN running statistics), then restore."""
    modes = {m: m.training for m in module.modules()}
    module.eval()
    try:
        yield module
    finally:
        for m, mode in modes.items():
            m.training = mode


@MODELS.register_module()
class DUDA(TeacherStudentSegmentor):
    """Heavyweight DACS pair + lightweight student distilled from it (only it is deployed).

    Batches are the UDA batches of :class:`DACS` (``labeled`` source, ``weak`` target).
    State dicts: ``student.*`` (lightweight), ``heavy.student.*``, ``heavy.teacher.*``,
    ``class_inconsistency``; frozen models (FD reference, extra teachers) are left out as
    in the core. Prediction (``predict``, MMSeg's ``init_model`` / ``tools/test.py`` /
    ``tools/infer.py`` on a DUDA checkpoint) is the lightweight student's;
    ``tools/export_student.py`` writes it as a plain MMSeg model.

    Args:
        student (ConfigType): The lightweight segmentor (deployed).
        heavy (ConfigType): The heavyweight segmentor (its EMA is the teacher).
        heavy_method (dict): The heavy pair's self-training (a DACS config without
            ``student``; e.g. ``configs/_base_/uda/daformer.py``'s model). Default:
            ``dict(type='DUDASelfTraining')`` (DACS defaults).
        pre_adapt_iters (int): Iterations of the pre-adaptation stage (both students:
            source CE + CE to the heavy teacher's one-hot pseudo-labels). The stage is
            read from the runner's iteration (MessageHub), so it survives resume.
            Default: 4000.
        distillation (dict, optional): ``schedule`` (:class:`GradualDistillationSchedule`
            arguments; None: the soft target at once), ``temperature`` T, ``loss_weight``
            of the soft term. None: no soft target (the light student keeps the hard
            pseudo-labels). Default: :data:`DISTILLATION_DEFAULTS`.
        inconsistency (dict, optional): ``loss_weight``, ``momentum`` of the per-class
            disagreement rates, ``gamma`` and ``eps`` of the class weights, whether only
            ``only_disagreeing`` pixels count, ``initial_rate``. None disables it.
            Default: :data:`INCONSISTENCY_DEFAULTS`.
        teacher_weights (dict[str, float]): Weights of the soft target's teachers:
            ``ema`` (heavy EMA teacher), ``heavy`` (heavy student, a no-grad eval pass) and
            the names of ``extra_teachers``. Default: ``dict(ema=0.5, heavy=0.5)``.
        extra_teachers (dict[str, dict], optional): Frozen teachers by name, each
            ``dict(model=<segmentor config>, checkpoint=<path or None>, weight=<float>,
            mean=None, std=None)``; ``mean``/``std`` (0-255, RGB) re-normalise the input
            for a teacher trained with other statistics (CLIP). Each must predict the same
            classes (``encode_decode``). Default: None.
        light_source_loss (bool): Keep the source CE of the light student after
            pre-adaptation. Default: True.
        ignore_index (int): Default: 255.
        semi_test_cfg, data_preprocessor, init_cfg: as for :class:`TeacherStudentSegmentor`.
        pretrained, train_cfg: Only None (set by MMSeg's ``init_model``).
        test_cfg (dict, optional): Inference settings of the light student.
    """

    def __init__(self,
                 student: ConfigType,
                 heavy: ConfigType,
                 heavy_method: OptConfigType = None,
                 pre_adapt_iters: int = 4000,
                 distillation: OptConfigType = DISTILLATION_DEFAULTS,
                 inconsistency: OptConfigType = INCONSISTENCY_DEFAULTS,
                 teacher_weights: Optional[Dict[str, float]] = None,
                 extra_teachers: Optional[Dict[str, dict]] = None,
                 light_source_loss: bool = True,
                 ignore_index: int = 255,
                 semi_test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None,
                 pretrained: Optional[str] = None,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None) -> None:
        _check_mmseg_inference_keys(pretrained, train_cfg)
        if pre_adapt_iters < 0:
            raise ValueError(f'pre_adapt_iters must be >= 0, got {pre_adapt_iters}')
        super().__init__(student=student, teacher=None, mixer=None, num_strong_views=1,
                         semi_test_cfg=semi_test_cfg, data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        if test_cfg is not None:
            self.test_cfg = test_cfg
        check_crop_tiles(self.student, data_preprocessor)
        method = dict(heavy_method or {})
        method.setdefault('type', 'DUDASelfTraining')
        method.update(student=heavy, data_preprocessor=data_preprocessor)
        self.heavy = MODELS.build(method)
        if not isinstance(self.heavy, DACS):
            raise TypeError(f'heavy_method must build a DACS pair, got {type(self.heavy).__name__}')
        self.pre_adapt_iters = pre_adapt_iters
        self.ignore_index = ignore_index
        self.light_source_loss = light_source_loss
        num_classes = self.student.decode_head.num_classes
        if self.heavy.student.decode_head.num_classes != num_classes:
            raise ValueError('the heavy and the light student must predict the same classes')
        # (1) gradual distillation
        self.distillation = None
        if distillation is not None:
            cfg = {**DISTILLATION_DEFAULTS, **dict(distillation)}
            self.distillation = dict(cfg, schedule=build_schedule(cfg['schedule']))
        # (2) inconsistency loss
        self.inconsistency = None
        if inconsistency is not None:
            self.inconsistency = {**INCONSISTENCY_DEFAULTS, **dict(inconsistency)}
            if not 0 <= self.inconsistency['momentum'] < 1:
                raise ValueError('inconsistency.momentum must lie in [0, 1)')
        self.register_buffer(INCONSISTENCY_BUFFER, torch.full(
            (num_classes, ), float((self.inconsistency or INCONSISTENCY_DEFAULTS)['initial_rate'])))
        self._register_load_state_dict_pre_hook(self._fill_inconsistency)
        # (3) multiple teachers
        weights = dict(teacher_weights if teacher_weights is not None else dict(ema=0.5, heavy=0.5))
        self._extra_specs: Dict[str, dict] = {}
        for name, spec in (extra_teachers or {}).items():
            spec = dict(spec)
            model = MODELS.build(spec.pop('model'))
            weights.setdefault(name, float(spec.get('weight', 1.0)))
            self._extra_specs[name] = spec
            self.add_frozen_model(name, model)
        unknown = set(weights) - set(BUILTIN_TEACHERS) - set(self._extra_specs)
        if unknown:
            raise KeyError(f'teacher_weights names unknown teachers {sorted(unknown)}; the '
                           f'teachers are {BUILTIN_TEACHERS} and extra_teachers')
        if not any(w > 0 for w in weights.values()):
            raise ValueError(f'teacher_weights must have a positive weight, got {weights}')
        self.teacher_weights = {k: float(w) for k, w in weights.items() if w > 0}

    # ------------------------------------------------------------------ parts
    @property
    def ema_pair(self) -> DACS:
        """The pair EMATeacherHook averages: heavy.teacher <- EMA of heavy.student."""
        return self.heavy

    def parts(self) -> Dict[str, nn.Module]:
        parts = {'student': self.student, 'heavy': self.heavy.student,
                 'teacher': self.heavy.teacher}
        parts.update({f'frozen.{n}': m for n, m in self.frozen_models.items()})
        parts.update({f'frozen.heavy.{n}': m for n, m in self.heavy.frozen_models.items()})
        return parts

    @property
    def student_pass_names(self) -> Tuple[str, ...]:
        return ('labeled_forward', 'strong_forward')

    def init_weights(self) -> None:
        """Initialise all networks (the heavy pair as DACS does); load extra teachers."""
        for name, spec in self._extra_specs.items():
            if spec.get('checkpoint'):
                getattr(self, name)._is_init = True
        super().init_weights()
        for name, spec in self._extra_specs.items():
            if spec.get('checkpoint'):
                load_checkpoint(getattr(self, name), spec['checkpoint'], map_location='cpu',
                                strict=True)
                getattr(self, name).eval()

    def _fill_inconsistency(self, state_dict: dict, prefix: str, *args) -> None:
        # A checkpoint without the buffer (a plain light model) keeps the live rates.
        state_dict.setdefault(prefix + INCONSISTENCY_BUFFER,
                              getattr(self, INCONSISTENCY_BUFFER).clone())

    # ------------------------------------------------------------------ stage
    @staticmethod
    def current_iter() -> int:
        """The runner's iteration (0 outside a runner), from MMEngine's MessageHub."""
        return int(MessageHub.get_current_instance().get_info('iter', 0) or 0)

    def in_pre_adaptation(self, it: Optional[int] = None) -> bool:
        return (self.current_iter() if it is None else it) < self.pre_adapt_iters

    def soft_share(self, it: Optional[int] = None) -> float:
        """s_t: share of the soft target in the light student's target loss."""
        it = self.current_iter() if it is None else it
        if self.distillation is None or it < self.pre_adapt_iters:
            return 0.0
        return self.distillation['schedule'](it - self.pre_adapt_iters)

    def class_weights(self) -> Tensor:
        cfg = self.inconsistency or INCONSISTENCY_DEFAULTS
        return class_weights_from_rates(getattr(self, INCONSISTENCY_BUFFER), cfg['gamma'],
                                        cfg['eps'])

    # ------------------------------------------------------------------ steps
    def loss_semi_supervised(self, inputs: Dict[str, Tensor],
                             data_samples: SampleDict) -> Dict[str, Tensor]:
        """One DUDA step -> 'heavy.*' (the DACS pair) and the light student's terms.

        Returns:
            dict[str, Tensor]: 'heavy.sup.*', 'heavy.unsup.*' (DACS's), 'sup.*' (light
            source CE), 'unsup.loss_hard', 'unsup.loss_kd', 'unsup.loss_inc' (light, on the
            heavy pair's mixed view) and the statistics 'unsup.soft_share', 'unsup.stage'
            (0 pre-adaptation, 1 distillation).
        """
        it = self.current_iter()
        heavy_losses, targets, views = self.heavy.self_training_step(inputs, data_samples)
        losses = add_prefix('heavy.', heavy_losses)
        pre = self.in_pre_adaptation(it)
        if self.light_source_loss or pre:
            losses.update(self.loss_supervised(inputs['labeled'], data_samples['labeled']))
        target = inputs['weak']
        mix = views['mix']
        size = target.shape[-2:]
        pred = self._upsample(self.student.decode_head(self.student.extract_feat(mix['mix'])),
                              size)
        valid = self.valid_mask(data_samples['unlabeled'], target)
        if self.training:
            self.update_inconsistency(pred.detach(), mix, valid)
        share = self.soft_share(it)
        light = {}
        hard = pixel_weighted_cross_entropy(pred, mix['label'], mix['weight'], self.ignore_index)
        light['loss_hard'] = self.unsup_weight * (1.0 - share) * hard
        if self.distillation is not None and share > 0:
            temperature = float(self.distillation['temperature'])
            probs = ensemble_probs(self.teacher_logits(target, targets), self.teacher_weights,
                                   temperature)
            soft = mix_soft_target(probs, mix['label'], mix['mask'], self.ignore_index)
            light['loss_kd'] = self.unsup_weight * share * self.distillation['loss_weight'] * \
                soft_distillation_loss(pred, soft, mix['weight'], temperature)
        if self.inconsistency is not None and not pre:
            light['loss_inc'] = self.unsup_weight * self.inconsistency['loss_weight'] * \
                inconsistency_loss(pred, mix['label'], mix['weight'], self.class_weights(),
                                   self.inconsistency['only_disagreeing'], self.ignore_index)
        light['soft_share'] = pred.new_tensor(share)
        light['stage'] = pred.new_tensor(0.0 if pre else 1.0)
        losses.update(add_prefix('unsup.', light))
        return losses

    @torch.no_grad()
    def teacher_logits(self, target: Tensor, targets: Dict[str, Tensor]) -> Dict[str, Tensor]:
        """(B, N, H, W) logits on the target image of every weighted teacher, by name."""
        size = target.shape[-2:]
        metas = [dict(img_shape=tuple(size), ori_shape=tuple(size))] * target.shape[0]
        out = {}
        for name in self.teacher_weights:
            if name == 'ema':
                logits = targets.get('logits')
                if logits is None:  # a plain DACS heavy pair: one more teacher pass
                    teacher = self.heavy.teacher
                    logits = teacher.decode_head(teacher.extract_feat(target))
            elif name == 'heavy':
                with eval_mode(self.heavy.student) as model:
                    logits = model.encode_decode(target, metas)
            else:
                model = getattr(self, name)
                logits = model.encode_decode(self._renormalise(target, self._extra_specs[name]),
                                             metas)
            out[name] = self._upsample(logits.float(), size)
        return out

    def _renormalise(self, img: Tensor, spec: dict) -> Tensor:
        if spec.get('mean') is None:
            return img
        mean, std = self.heavy._norm_stats(img)
        new_mean = img.new_tensor(spec['mean']).view(3, 1, 1)
        new_std = img.new_tensor(spec['std']).view(3, 1, 1)
        return (img * std + mean - new_mean) / new_std

    @torch.no_grad()
    def update_inconsistency(self, pred: Tensor, mix: Dict[str, Tensor], valid: Tensor) -> None:
        """rate_c <- m rate_c + (1 - m) (disagreeing / labelled) over this batch's target
        pixels (not the pasted source) with a positive pseudo-label weight, for the classes
        present; summed over ranks under DDP."""
        if self.inconsistency is None:
            return
        count = valid & ~mix['mask'] & (mix['weight'] > 0)
        num_classes = pred.shape[1]
        total, wrong = class_disagreement(pred.argmax(dim=1), mix['label'], count, num_classes)
        stats = torch.cat([total, wrong])
        all_reduce(stats)
        total, wrong = stats[:num_classes], stats[num_classes:]
        present = total > 0
        rates = getattr(self, INCONSISTENCY_BUFFER)
        m = self.inconsistency['momentum']
        new = torch.where(present, wrong / total.clamp(min=1), rates)
        rates.copy_(torch.where(present, m * rates + (1 - m) * new, rates))


__all__ = ['DUDA', 'DUDASelfTraining', 'eval_mode']
