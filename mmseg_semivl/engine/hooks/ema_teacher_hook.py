"""The EMA update of a teacher-student segmentor's teacher (MMDet's MeanTeacherHook)."""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn as nn
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmseg.registry import HOOKS


@HOOKS.register_module()
class EMATeacherHook(Hook):
    """teacher <- (1 - m_t) teacher + m_t student after every ``interval`` iterations.

    With ``warm_up`` the momentum starts high, m_t = max(momentum, 1 / (t + 1)) with t
    the number of student updates so far, i.e. DAFormer/DACS's
    alpha_t = min(1 - 1 / (t + 1), alpha) with alpha = 1 - momentum: the teacher is the
    plain average of the students seen while that average is younger than 1 / momentum
    updates. Before the first iteration (``runner.iter == 0``) the teacher becomes a
    copy of the student; the teacher is part of the checkpoint, so a resumed run
    continues its average instead of copying again.

    Args:
        momentum (float): Weight of the student in the average, in (0, 1)
            (1 - alpha; DAFormer: alpha 0.999, DACS: alpha 0.99). Default: 0.001.
        interval (int): Update every ``interval`` iterations. Default: 1.
        warm_up (bool): Use m_t = max(momentum, 1 / (t + 1)) (DACS/DAFormer) instead of
            a constant momentum (MMDet). Default: True.
        skip_buffers (bool): Leave the teacher's buffers (BN statistics) as they are
            (MMDet's default; DAFormer averages parameters only); False averages
            floating-point buffers too and copies the others. Default: True.
    """

    priority = 'NORMAL'

    def __init__(self, momentum: float = 0.001, interval: int = 1, warm_up: bool = True,
                 skip_buffers: bool = True) -> None:
        if not 0 < momentum < 1:
            raise ValueError(f'momentum must lie in (0, 1), got {momentum}')
        if interval < 1:
            raise ValueError(f'interval must be >= 1, got {interval}')
        self.momentum = momentum
        self.interval = interval
        self.warm_up = warm_up
        self.skip_buffers = skip_buffers

    @staticmethod
    def _segmentor(runner) -> nn.Module:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        # A segmentor whose EMA pair is a submodule (DUDA: the heavyweight student and its
        # teacher) names it ``ema_pair``.
        model = getattr(model, 'ema_pair', None) or model
        if getattr(model, 'teacher', None) is None or getattr(model, 'student', None) is None:
            raise RuntimeError(f'EMATeacherHook needs a segmentor with a student and a teacher '
                               f"(e.g. TeacherStudentSegmentor(teacher='ema')), got "
                               f'{type(model).__name__}')
        return model

    def before_train(self, runner) -> None:
        model = self._segmentor(runner)
        if runner.iter == 0:
            self.copy_student(model.student, model.teacher)

    def after_train_iter(self, runner, batch_idx: int, data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        if (runner.iter + 1) % self.interval:
            return
        model = self._segmentor(runner)
        self.momentum_update(model.student, model.teacher, self.momentum_at(runner.iter + 1))

    def momentum_at(self, num_updates: int) -> float:
        """m_t after ``num_updates`` (>= 1) student updates."""
        if not self.warm_up:
            return self.momentum
        return max(self.momentum, 1.0 / (num_updates + 1))

    @staticmethod
    @torch.no_grad()
    def copy_student(student: nn.Module, teacher: nn.Module) -> None:
        """Make the teacher an exact copy of the student, parameters and buffers."""
        teacher.load_state_dict(student.state_dict(), strict=True)

    @torch.no_grad()
    def momentum_update(self, student: nn.Module, teacher: nn.Module, momentum: float) -> None:
        """teacher <- (1 - momentum) teacher + momentum student, tensor by tensor.

        Raises:
            ValueError: If the two networks' parameters or buffers differ in name.
        """
        pairs = [(student.named_parameters(), teacher.named_parameters())]
        if not self.skip_buffers:
            pairs.append((student.named_buffers(), teacher.named_buffers()))
        for src_items, dst_items in pairs:
            src, dst = dict(src_items), dict(dst_items)
            if src.keys() != dst.keys():
                raise ValueError('EMATeacherHook: student and teacher differ in structure; '
                                 f'only in the student: {sorted(src.keys() - dst.keys())[:5]}, '
                                 f'only in the teacher: {sorted(dst.keys() - src.keys())[:5]}')
            for name, dst_tensor in dst.items():
                if dst_tensor.dtype.is_floating_point:
                    dst_tensor.mul_(1.0 - momentum).add_(src[name].detach(), alpha=momentum)
                else:
                    dst_tensor.copy_(src[name])
