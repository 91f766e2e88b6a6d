"""tools/benchmark_train.py on the tiny demo config, CPU, synthetic batches."""

import importlib.util
import json
from pathlib import Path

import pytest

from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS

from mmseg_semivl.analysis import STEP_PARTS, TrainStepBenchmark

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location('tool_benchmark_train',
                                              ROOT / 'tools' / 'benchmark_train.py')
benchmark_train = importlib.util.module_from_spec(spec)
spec.loader.exec_module(benchmark_train)

# The demo's tiny random CLIP at 64 px, 1 labeled + 1 unlabeled image per step.
TINY_ARGS = [
    str(ROOT / 'configs/demo/semivl_tiny_demo.py'), '--synthetic', '--device', 'cpu',
    '--batch-size', '2', '--cfg-options', 'model.data_preprocessor.size=(64,64)',
    'model.backbone.img_size=64', 'model.guidance.img_size=64'
]


@pytest.fixture(scope='module')
def timed(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp('bench') / 'bench.json'
    benchmark_train.main([*TINY_ARGS[:1], '--iters', '2', '--warmup', '1', '--json', str(out),
                          *TINY_ARGS[1:]])
    return json.loads(out.read_text())


def test_timing_memory_and_throughput_are_reported(timed):
    assert (timed['num_labeled'], timed['num_unlabeled'], timed['num_classes']) == (1, 1, 21)
    assert timed['sec_per_iter'] > 0
    assert timed['images_per_sec'] == pytest.approx(2 / timed['sec_per_iter'])
    assert timed['peak_memory_mb'] > 0 and timed['memory_kind'] == 'cpu_max_rss'
    assert timed['tflops_per_sec'] == pytest.approx(
        timed['flops_per_step'] / timed['sec_per_iter'] / 1e12)
    assert sum(timed['time_shares'].values()) == pytest.approx(1.0)
    assert set(timed['time_parts']) == set(STEP_PARTS)


def test_flop_parts_cover_the_step(timed):
    parts = timed['flop_parts']
    assert tuple(parts) == STEP_PARTS
    assert sum(timed['flop_shares'].values()) == pytest.approx(1.0)
    for part in ('guidance', 'labeled_weak_forward', 'strong_forward', 'backward'):
        assert parts[part] > 0, part
    # Matmuls/convs only: the losses, CutMix and the optimizer add nothing.
    assert parts['data_preprocessor'] == parts['optimizer_step'] == parts['other'] == 0
    assert sum(parts.values()) == timed['flops_per_step']
    assert timed['flops_per_pair'] == timed['flops_per_step']  # one pair per step
    # Pass 1 (labeled + weak, and the perturbed weak decode) and pass 2 (two strong
    # views) encode the same number of images; pass 1 decodes one more.
    components = timed['flops_by_component']
    assert components['encoder_forward'] + components['decoder_forward'] == (
        parts['labeled_weak_forward'] + parts['strong_forward'])
    assert components['guidance_forward'] == parts['guidance']
    assert parts['labeled_weak_forward'] > parts['strong_forward']


def test_fake_tensor_count_equals_the_real_step(timed, tmp_path):
    out = tmp_path / 'flops.json'
    benchmark_train.main([*TINY_ARGS[:1], '--flops-only', '--json', str(out), *TINY_ARGS[1:]])
    counted = json.loads(out.read_text())
    assert 'sec_per_iter' not in counted
    assert counted['flop_parts'] == timed['flop_parts']


def _real_tracked_peak(extra_options=()) -> dict:
    """Peak tensor memory of real steps of the tiny config, tracked the same way."""
    args = benchmark_train.parse_args([*TINY_ARGS, *extra_options])
    cfg = benchmark_train.build_config(args)
    init_default_scope('mmseg')
    model = MODELS.build(cfg.model).train()
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    bench = TrainStepBenchmark(model, optim_wrapper,
                               benchmark_train.data_source(args, cfg, model, 1, 1), 2)
    return bench.estimate_memory()


def test_fake_memory_estimate_equals_real_steps_tracked(tmp_path):
    out = tmp_path / 'fake.json'
    benchmark_train.main([*TINY_ARGS[:1], '--fake', '--json', str(out), *TINY_ARGS[1:]])
    fake = json.loads(out.read_text())
    real = _real_tracked_peak()
    parts = fake['memory_estimate_parts_mb']
    assert fake['peak_memory_estimate_mb'] == pytest.approx(sum(parts.values()))
    # Weights and AdamW state are exact; the step agrees to the real one's storages
    # (boolean-mask selections are counted at their largest, so fake >= real).
    assert parts['weights'] == real['memory_estimate_parts_mb']['weights'] > 0
    assert parts['optimizer_state'] == real['memory_estimate_parts_mb']['optimizer_state'] > 0
    assert real['peak_memory_estimate_mb'] * 0.99 <= fake['peak_memory_estimate_mb'] <= \
        real['peak_memory_estimate_mb'] * 1.05


def test_memory_estimate_reacts_to_checkpointing_and_amp(tmp_path):
    def estimate(*flags: str, options: tuple = ()) -> dict:
        out = tmp_path / 'estimate.json'
        # TINY_ARGS ends with its --cfg-options, so more options can follow.
        benchmark_train.main([*TINY_ARGS, *options, '--fake', *flags, '--json', str(out)])
        return json.loads(out.read_text())

    plain = estimate()
    with_cp = estimate(options=('model.backbone.with_cp=True', ))
    amp = estimate('--amp')
    assert amp['amp'] is True and amp['fake'] is True
    assert with_cp['memory_estimate_parts_mb']['step_transient'] < \
        plain['memory_estimate_parts_mb']['step_transient']
    assert amp['memory_estimate_parts_mb']['step_transient'] != \
        plain['memory_estimate_parts_mb']['step_transient']


def test_amp_needs_a_gpu():
    with pytest.raises(ValueError, match='--amp needs a GPU'):
        benchmark_train.main([*TINY_ARGS[:1], '--amp', *TINY_ARGS[1:]])


def test_fake_estimate_of_a_uda_config_with_feature_distance(tmp_path):
    """DAFormer's FD reference check compares weight values; on fake tensors it must step
    aside (it made every ``--fake`` run of a DAFormer config fail with DataDependentOutput)."""
    out = tmp_path / 'uda.json'
    benchmark_train.main([
        str(ROOT / 'configs/demo/dacs_scenes_uda_demo.py'), '--synthetic', '--device', 'cpu',
        '--fake', '--json', str(out), '--cfg-options',
        'model.feature_distance.loss_weight=0.005', 'model.feature_distance.classes=None'])
    result = json.loads(out.read_text())
    parts, components = result['flop_parts'], result['flops_by_component']
    # The FD reference runs the student's encoder once on the 2 source images: as many
    # FLOPs as the student's encoder in one of its two passes (source, mixed).
    assert parts['imnet_model'] == components['imnet_model_forward'] > 0
    assert parts['imnet_model'] == pytest.approx(components['encoder_forward'] / 2, rel=1e-6)
    assert result['peak_memory_estimate_mb'] > 0
