"""NonFiniteSkip(Amp)OptimWrapper: NaN/inf steps are skipped and counted, or stop the run."""
import pytest
import torch
import torch.nn as nn
from mmengine.logging import MessageHub
from mmseg.registry import OPTIM_WRAPPERS

from mmseg_semivl.engine.optim_wrappers import NonFiniteStepError, skipped_steps


@pytest.fixture
def hub(request):
    # A new instance becomes MessageHub's current one, as the runner's does.
    return MessageHub.get_instance(f'non_finite_guard.{request.node.name}')


def _wrapper(model, **kwargs):
    cfg = dict(type='NonFiniteSkipOptimWrapper',
               optimizer=torch.optim.SGD(model.parameters(), lr=0.1), **kwargs)
    return OPTIM_WRAPPERS.build(cfg)


def _loss(model, step):
    loss = model(torch.ones(1, 2)).sum()
    return loss * float('nan') if step == 2 else loss


def test_nan_loss_step_is_skipped_and_counted(hub):
    torch.manual_seed(0)
    model = nn.Linear(2, 1)
    wrapper = _wrapper(model)
    history = []
    for step in range(1, 4):
        hub.update_info('iter', step - 1)
        before = model.weight.detach().clone()
        wrapper.update_params(_loss(model, step))
        history.append(not torch.equal(before, model.weight))
        if step == 2:
            assert torch.equal(before, model.weight)  # untouched by the NaN step
            assert all(p.grad is None for p in model.parameters())
    assert history == [True, False, True]  # training continued after the skip
    assert skipped_steps() == 1
    assert hub.get_scalar('train/skipped_steps').current() == 1
    assert torch.isfinite(model.weight).all()


def test_non_finite_gradient_with_finite_loss_is_skipped(hub):
    model = nn.Linear(2, 1)
    wrapper = _wrapper(model)
    hub.update_info('iter', 0)
    # The loss is finite; a gradient hook makes the weight's gradient infinite.
    model.weight.register_hook(lambda grad: grad * float('inf'))
    before = model.weight.detach().clone()
    wrapper.update_params(model(torch.ones(1, 2)).sum())
    assert torch.equal(model.weight, before) and skipped_steps() == 1


def test_raise_mode_names_the_iteration(hub):
    model = nn.Linear(2, 1)
    wrapper = _wrapper(model, on_non_finite='raise')
    hub.update_info('iter', 1)  # the log's iteration 2
    with pytest.raises(NonFiniteStepError, match=r'iteration 2: loss = nan'):
        wrapper.update_params(_loss(model, 2))
    with pytest.raises(ValueError, match='on_non_finite'):
        _wrapper(model, on_non_finite='ignore')


def test_amp_variant_skips_nan_loss(hub, monkeypatch):
    # MMEngine refuses AMP without an accelerator; the guard runs before any AMP code.
    import mmengine.optim.optimizer.amp_optimizer_wrapper as amp_module
    monkeypatch.setattr(amp_module, 'is_cuda_available', lambda: True)
    model = nn.Linear(2, 1)
    wrapper = OPTIM_WRAPPERS.build(dict(
        type='NonFiniteSkipAmpOptimWrapper', dtype='bfloat16',
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1)))
    hub.update_info('iter', 0)
    before = model.weight.detach().clone()
    wrapper.update_params(_loss(model, 2))
    assert torch.equal(model.weight, before) and skipped_steps() == 1
