"""tools/train.py: a tiny SemiVL training, checkpoint, --resume and load_from."""
import os.path as osp

import pytest
import torch
from mmengine.hooks import Hook
from mmengine.runner import Runner
from mmseg.registry import HOOKS

from tools import train as train_tool


def run_train(config, work_dir, options, *extra):
    argv = [config, '--work-dir', str(work_dir), *extra, '--cfg-options', *options]
    return train_tool.main(argv)


class Interrupted(RuntimeError):
    pass


@HOOKS.register_module(force=True)
class InterruptAfterIterHook(Hook):
    """Test-only: stops a run like a crash, after the checkpoint of ``iteration``."""
    priority = 'LOWEST'  # after CheckpointHook

    def __init__(self, iteration: int) -> None:
        self.iteration = iteration

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if runner.iter + 1 == self.iteration:
            raise Interrupted(f'stopped after iteration {self.iteration}')


def test_train_saves_and_resumes_from_the_saved_iteration(tmp_path, demo_config,
                                                          tiny_train_options):
    options = tiny_train_options(max_iters=6, **{'default_hooks.checkpoint.interval': 2})
    cfg = train_tool.build_config(train_tool.parse_args(
        [demo_config, '--work-dir', str(tmp_path), '--cfg-options', *options]))
    cfg.custom_hooks = [dict(type='PlainCheckpointStateHook'),  # resumable under weights_only
                        dict(type='InterruptAfterIterHook', iteration=4)]
    with pytest.raises(Interrupted):
        Runner.from_cfg(cfg).train()
    ckpt = torch.load(tmp_path / 'iter_4.pth', map_location='cpu')  # weights_only default
    assert ckpt['meta']['iter'] == 4
    assert not any(k.startswith('guidance.') for k in ckpt['state_dict'])  # frozen CLIP left out
    assert not (tmp_path / 'iter_6.pth').exists()

    resumed = run_train(demo_config, tmp_path, options, '--resume')
    assert resumed.iter == 6
    # Optimizer state was restored: AdamW counts 4 restored + 2 new steps.
    steps = {int(s['step']) for s in resumed.optim_wrapper.optimizer.state_dict()['state'].values()}
    assert steps == {6}
    # The poly schedule continued from iteration 4 and reached its end (lr 0); an
    # uninterrupted 6-iteration run also ends with MMEngine's last_step == 5.
    assert resumed.param_schedulers[0].last_step == 5
    assert resumed.optim_wrapper.get_lr()['lr'][0] == pytest.approx(0.0, abs=1e-12)


def test_resume_from_explicit_checkpoint_and_load_from(tmp_path, demo_config, tiny_train_options):
    run_train(demo_config, tmp_path / 'a', tiny_train_options(max_iters=2))
    ckpt_path = str(tmp_path / 'a' / 'iter_2.pth')
    resumed = run_train(demo_config, tmp_path / 'b', tiny_train_options(max_iters=3), '--resume', ckpt_path)
    assert resumed.iter == 3

    saved = torch.load(ckpt_path, map_location='cpu')['state_dict']
    # load_from initialises the weights only: training restarts at iteration 0.
    cfg = train_tool.build_config(train_tool.parse_args([
        demo_config, '--work-dir', str(tmp_path / 'c'), '--cfg-options',
        *tiny_train_options(max_iters=2, load_from=ckpt_path)]))
    runner = Runner.from_cfg(cfg)
    runner.load_or_resume()
    assert runner.iter == 0
    state = runner.model.state_dict()
    assert set(saved) == set(state)
    for key in saved:
        torch.testing.assert_close(state[key], saved[key], msg=key)


# ---------------------------------------------------------------- reliability (issue 14)
import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

from mmseg_semivl.engine.runner import ConfigArgumentError, ResumeError  # noqa: E402

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _build(config, work_dir, options, *extra):
    return train_tool.build_config(train_tool.parse_args(
        [config, '--work-dir', str(work_dir), *extra, '--cfg-options', *options]))


@pytest.fixture
def trained_dir(tmp_path_factory, demo_config, tiny_train_options):
    """A work dir with complete iter_2.pth and iter_4.pth (max_iters 4, interval 2)."""
    work_dir = tmp_path_factory.mktemp('trained')
    run_train(demo_config, work_dir, tiny_train_options(max_iters=4))
    return work_dir


def test_empty_last_checkpoint_falls_back_to_the_newest_complete(
        trained_dir, demo_config, tiny_train_options):
    (trained_dir / 'last_checkpoint').write_text('')
    cfg = _build(demo_config, trained_dir, tiny_train_options(max_iters=4), '--resume')
    assert cfg.resume is True and cfg.load_from == str(trained_dir / 'iter_4.pth')
    # MMEngine said "Auto resumed from the latest checkpoint ." and FileNotFoundError.
    resumed = run_train(demo_config, trained_dir, tiny_train_options(max_iters=5), '--resume')
    assert resumed.iter == 5


def test_pointer_to_a_truncated_file_falls_back_and_says_so(trained_dir):
    from mmseg_semivl.engine.runner import resolve_resume
    data = (trained_dir / 'iter_4.pth').read_bytes()
    (trained_dir / 'iter_4.pth').write_bytes(data[:len(data) // 2])
    choice = resolve_resume(str(trained_dir))
    assert choice.checkpoint == str(trained_dir / 'iter_2.pth') and choice.fallback
    assert choice.message == (
        f'{trained_dir}/last_checkpoint names {trained_dir}/iter_4.pth, which is truncated or '
        f'not a checkpoint; resuming from the newest complete checkpoint '
        f'{trained_dir}/iter_2.pth instead.')


def test_resume_with_nothing_to_resume_says_so(tmp_path, demo_config, tiny_train_options):
    from mmseg_semivl.engine.runner import resolve_resume
    choice = resolve_resume(str(tmp_path))
    assert choice.checkpoint is None and 'nothing to resume' in choice.message
    assert 'FROM SCRATCH' in choice.message
    cfg = _build(demo_config, tmp_path, tiny_train_options(max_iters=2), '--resume')
    assert cfg.resume is False and cfg.load_from is None


def test_resume_explicit_missing_or_truncated_file_fails_naming_an_alternative(
        trained_dir, demo_config, tiny_train_options):
    missing = trained_dir / 'iter_9.pth'
    with pytest.raises(ResumeError, match=(
            rf'^--resume {missing}: the file does not exist; the newest intact checkpoint '
            rf'there is {trained_dir}/iter_4.pth\.$')):
        _build(demo_config, trained_dir, tiny_train_options(), '--resume', str(missing))
    truncated = trained_dir / 'iter_4.pth'
    data = truncated.read_bytes()
    truncated.write_bytes(data[:len(data) - 100])
    with pytest.raises(ResumeError, match=(
            rf'^--resume {truncated}: the file is truncated or not a checkpoint \(no complete '
            rf'zip archive\); the newest intact checkpoint there is {trained_dir}/iter_2.pth\.$')):
        _build(demo_config, trained_dir, tiny_train_options(), '--resume', str(truncated))


def test_misspelt_hook_and_loop_arguments_fail_before_anything_is_built(
        tmp_path, demo_config, tiny_train_options):
    with pytest.raises(ConfigArgumentError, match=(
            r"^default_hooks.checkpoint: AtomicCheckpointHook has no argument 'intervl' "
            r"\(did you mean 'interval'\?\)")):
        _build(demo_config, tmp_path, tiny_train_options(**{'default_hooks.checkpoint.intervl': 1}))
    with pytest.raises(ConfigArgumentError, match=(
            r"^train_cfg: IterBasedTrainLoop has no argument 'val_intervall' "
            r"\(did you mean 'val_interval'\?\)")):
        _build(demo_config, tmp_path, tiny_train_options(**{'train_cfg.val_intervall': 1}))
    with pytest.raises(ConfigArgumentError, match=(
            r"^custom_hooks.0: ExactResumeHook has no argument 'seed'; it takes no arguments$")):
        _build(demo_config, tmp_path, tiny_train_options(**{'custom_hooks.0.seed': 1}))
    assert not (tmp_path / 'last_checkpoint').exists()


def test_tool_reports_a_typo_in_one_line(tmp_path, demo_config, tiny_train_options):
    result = subprocess.run(
        [sys.executable, osp.join(REPO_ROOT, 'tools', 'train.py'), demo_config, '--work-dir',
         str(tmp_path), '--cfg-options', *tiny_train_options(),
         'default_hooks.checkpoint.intervl=1'],
        env=dict(os.environ, OMP_NUM_THREADS='1'), capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith(
        "error: default_hooks.checkpoint: AtomicCheckpointHook has no argument 'intervl' "
        "(did you mean 'interval'?)")
    assert 'Traceback' not in result.stderr


def test_full_disk_during_save_names_the_file_and_the_intact_previous_one(
        tmp_path, demo_config, tiny_train_options):
    # RLIMIT_FSIZE (set after iteration 2's checkpoint) makes the iteration-4 write fail
    # as a full disk would; EFBIG instead of ENOSPC, same handling.
    faults = osp.join(REPO_ROOT, 'tests', 'test_reliability')
    config = tmp_path / 'limited.py'
    from mmengine.config import Config
    hooks = [dict(h) for h in Config.fromfile(demo_config).custom_hooks]
    config.write_text(
        f'_base_ = [{demo_config!r}]\n'
        "custom_imports = dict(imports=['mmseg_semivl', 'fault_injection'])\n"
        f"custom_hooks = {hooks!r} + [dict(type='FileSizeLimitHook', after_iter=2, "
        'limit_bytes=1 << 20)]\n')
    work_dir = tmp_path / 'work'
    result = subprocess.run(
        [sys.executable, osp.join(REPO_ROOT, 'tools', 'train.py'), str(config), '--work-dir',
         str(work_dir), '--cfg-options',
         *tiny_train_options(max_iters=4, **{'default_hooks.checkpoint.max_keep_ckpts': 1})],
        env=dict(os.environ, OMP_NUM_THREADS='1',
                 PYTHONPATH=os.pathsep.join([faults, os.environ.get('PYTHONPATH', '')])),
        capture_output=True, text=True, timeout=600)
    assert result.returncode == 1, result.stderr[-3000:]
    assert result.stderr.strip().splitlines()[-1] == (
        f'error: no space left on device while writing {work_dir}/iter_4.pth (File too large); '
        f'the previous checkpoint {work_dir}/iter_2.pth is intact')
    assert torch.load(work_dir / 'iter_2.pth', map_location='cpu')['meta']['iter'] == 2
    assert (work_dir / 'last_checkpoint').read_text() == str(work_dir / 'iter_2.pth')
    assert not list(work_dir.glob('.*.tmp'))


def test_test_tool_show_dir_writes_every_picture_of_a_small_test_set(
        tmp_path, demo_config, tiny_train_options):
    # A subprocess: MMEngine's visualizer is a process-wide singleton that would keep
    # the save_dir of an earlier runner of this test session.
    from mmengine.registry import init_default_scope
    from mmseg.registry import DATASETS

    from tools import test as test_tool
    run_train(demo_config, tmp_path / 'run', tiny_train_options(max_iters=1))
    show_dir = tmp_path / 'vis'
    argv = [demo_config, str(tmp_path / 'run' / 'iter_1.pth'), '--work-dir',
            str(tmp_path / 'test'), '--show-dir', str(show_dir), '--cfg-options',
            *tiny_train_options(max_iters=1)]
    result = subprocess.run([sys.executable, osp.join(REPO_ROOT, 'tools', 'test.py'), *argv],
                            env=dict(os.environ, OMP_NUM_THREADS='1'), capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    cfg = test_tool.build_config(test_tool.parse_args(argv))
    init_default_scope('mmseg')
    num_images = len(DATASETS.build(cfg.test_dataloader.dataset))
    assert 0 < num_images < 50  # MMSeg's interval of 50 drew none of them
    assert len(list(show_dir.rglob('*.png'))) == num_images


def test_supervised_only_config_drops_the_unlabeled_stream(demo_config, tmp_path):
    from tools import train as train_tool
    cfg = train_tool.build_config(train_tool.parse_args(
        [demo_config, '--work-dir', str(tmp_path), '--cfg-options',
         'model.use_consistency=False']))
    assert cfg.train_dataloader.dataset.type != 'ConcatDataset'
    assert cfg.train_dataloader.sampler.type == 'InfiniteSampler'
    assert cfg.model.guidance is None
