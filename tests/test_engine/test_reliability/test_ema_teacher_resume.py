"""An EMA teacher trains, is saved in checkpoints and resumes exactly."""
import torch

from interrupt import train as _train


def _ema_cfg(tiny_run_cfg, work_dir, **kwargs):
    cfg = tiny_run_cfg(work_dir, max_iters=4, ckpt_interval=2, **kwargs)
    cfg.model.teacher = 'ema'
    cfg.custom_hooks.append(dict(type='EMATeacherHook', momentum=0.2))
    return cfg


def test_ema_teacher_is_checkpointed_and_resumes_exactly(tmp_path, tiny_run_cfg):
    reference = _train(_ema_cfg(tiny_run_cfg, tmp_path / 'ref'))
    model = reference.model
    ckpt = torch.load(tmp_path / 'ref' / 'iter_4.pth', map_location='cpu')['state_dict']
    teacher_keys = [k for k in ckpt if k.startswith('teacher.')]
    assert len(teacher_keys) == len([k for k in ckpt if k.startswith('student.')])
    assert not any(k.startswith('guidance.') for k in ckpt)
    for key in teacher_keys:
        torch.testing.assert_close(ckpt[key], model.state_dict()[key], rtol=0, atol=0)
    # The teacher lags the student: the average differs from the last weights.
    name = next(n for n, p in model.student.named_parameters() if p.requires_grad)
    lag = (model.student.get_parameter(name) - model.teacher.get_parameter(name)).abs().max()
    assert lag > 1e-6

    work_dir = tmp_path / 'killed'
    _train(_ema_cfg(tiny_run_cfg, work_dir), kill_at=3)
    resumed = _train(_ema_cfg(tiny_run_cfg, work_dir, resume=True))
    assert resumed.iter == 4
    for key, value in model.state_dict().items():
        torch.testing.assert_close(resumed.model.state_dict()[key], value, rtol=0, atol=1e-6,
                                   msg=key)
