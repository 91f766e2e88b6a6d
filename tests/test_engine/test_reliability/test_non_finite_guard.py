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


class _TwoTermModel(nn.Module):
    """Returns a loss dict as segmentors do; ``loss_b`` is NaN when ``bad`` is set."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)
        self.bad = False

    def forward(self, x):
        out = self.linear(x).sum()
        return dict(loss_a=out, loss_b=out * float('nan') if self.bad else out * 0.5)


def _train_step(model, wrapper, hub, iteration):
    hub.update_info('iter', iteration - 1)
    with wrapper.optim_context(model):
        losses = model(torch.ones(1, 2))
    wrapper.update_params(sum(losses.values()))


def test_consecutive_skips_stop_the_run_naming_iteration_and_terms(hub):
    model = _TwoTermModel()
    wrapper = _wrapper(model, max_consecutive_skips=3)
    _train_step(model, wrapper, hub, 1)
    model.bad = True
    _train_step(model, wrapper, hub, 2)
    _train_step(model, wrapper, hub, 3)
    model.bad = False
    _train_step(model, wrapper, hub, 4)  # a good step resets the run of skips
    model.bad = True
    _train_step(model, wrapper, hub, 5)
    _train_step(model, wrapper, hub, 6)
    with pytest.raises(NonFiniteStepError,
                       match=r'iteration 7: loss = nan \(non-finite terms: loss_b=nan\); '
                             r'3 consecutive steps skipped \(optim_wrapper.'
                             r'max_consecutive_skips=3\)'):
        _train_step(model, wrapper, hub, 7)
    assert skipped_steps() == 5


def test_max_consecutive_skips_none_never_stops(hub):
    model = _TwoTermModel()
    model.bad = True
    wrapper = _wrapper(model, max_consecutive_skips=None)
    for iteration in range(1, 30):  # None: never stops
        _train_step(model, wrapper, hub, iteration)
    assert skipped_steps() == 29
    with pytest.raises(ValueError, match='max_consecutive_skips'):
        _wrapper(model, max_consecutive_skips=0)


def test_default_cap_stops_an_all_skipped_run(hub):
    from mmseg_semivl.engine.optim_wrappers.non_finite_guard import DEFAULT_MAX_CONSECUTIVE_SKIPS
    model = _TwoTermModel()
    model.bad = True
    wrapper = _wrapper(model)
    with pytest.raises(NonFiniteStepError, match=f'{DEFAULT_MAX_CONSECUTIVE_SKIPS} consecutive'):
        for iteration in range(1, DEFAULT_MAX_CONSECUTIVE_SKIPS + 1):
            _train_step(model, wrapper, hub, iteration)
    assert skipped_steps() == DEFAULT_MAX_CONSECUTIVE_SKIPS
