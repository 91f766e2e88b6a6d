"""End to end: a tiny SemiVL run trains, evaluates mIoU, and resumes its lambda schedule.

Whether it *learns* is a benchmark question (tools/benchmark_learning.py, docs/learning.md):
a loss-drop threshold here would depend on the thread count and the seed.
"""
import math

import pytest
from mmengine.runner import Runner

from tools import train as train_tool

from test_train_tool import Interrupted  # noqa: F401  (registers InterruptAfterIterHook)

pytestmark = pytest.mark.e2e

MAX_ITERS = 30
STOP_AT = 16


def scalar_history(runner, key):
    values, _ = runner.message_hub.get_scalar(key).data
    return list(values)


def test_tiny_semivl_run_evaluates_and_resumes(tmp_path, demo_config, tiny_train_options):
    options = tiny_train_options(max_iters=MAX_ITERS, batch_size=4, **{
        'default_hooks.checkpoint.interval': 8,
        'optim_wrapper.optimizer.lr': 3e-3,
    })
    argv = [demo_config, '--work-dir', str(tmp_path), '--cfg-options', *options]
    cfg = train_tool.build_config(train_tool.parse_args(argv))
    cfg.custom_hooks = [dict(type='PlainCheckpointStateHook'),  # resumable under weights_only
                        dict(type='InterruptAfterIterHook', iteration=STOP_AT)]
    first = Runner.from_cfg(cfg)
    with pytest.raises(Interrupted):
        first.train()
    first_losses = scalar_history(first, 'train/loss')
    lambdas_before = scalar_history(first, 'train/unsup.lambda_guidance')

    resumed = train_tool.main(argv + ['--resume'])  # picks iter_16.pth, the latest
    assert resumed.iter == MAX_ITERS
    losses = first_losses + scalar_history(resumed, 'train/loss')[len(first_losses):]
    lambdas = scalar_history(resumed, 'train/unsup.lambda_guidance')

    # lambda_t = 0.1 (1 - t / T) continues across the restart: t = 16 right after it.
    assert lambdas_before[0] == pytest.approx(0.1)
    assert lambdas[len(lambdas_before)] == pytest.approx(0.1 * (1 - STOP_AT / MAX_ITERS))
    assert lambdas[-1] == pytest.approx(0.1 * (1 - (MAX_ITERS - 1) / MAX_ITERS))

    # One finite loss per iteration, none lost or repeated across the restart.
    assert len(losses) == MAX_ITERS and all(math.isfinite(v) for v in losses), losses

    # Evaluation ran at the end and produced an mIoU.
    miou = resumed.message_hub.get_scalar('val/mIoU').current()
    assert 0.0 <= miou <= 100.0
