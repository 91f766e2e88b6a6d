"""tools/infer.py: trained model, new class list, zero-shot CLIP, and bad inputs."""

import importlib.util
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from mmseg_semivl.apis.predictor import DEFAULT_TILE_PIXELS
from mmseg_semivl.models.text import list_class_definitions
from tools import infer as infer_tool


def _load_helpers():
    # The tiny checkpoint and photos of tests/test_apis (not a package: loaded by path).
    path = Path(__file__).resolve().parents[1] / 'test_apis' / 'tiny_semivl.py'
    spec = importlib.util.spec_from_file_location('tiny_semivl_helpers', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


helpers = _load_helpers()


@pytest.fixture(scope='module')
def photos(tmp_path_factory):
    return helpers.write_photos(tmp_path_factory.mktemp('photos'))


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory, demo_config, tiny_clip_checkpoint):
    cfg = helpers.tiny_demo_cfg(demo_config, tiny_clip_checkpoint)
    return helpers.save_untrained_checkpoint(cfg, tmp_path_factory.mktemp('ckpt') / 'tiny.pth')


@pytest.fixture
def trained_argv(demo_config, checkpoint, tiny_clip_checkpoint, photos, tmp_path):
    """argv of a trained-model run on both photos (``extra``: more inputs or options,
    intermixed); the text CLIP is the tiny one."""

    def argv(*extra):
        return [demo_config, checkpoint, str(photos['voc'].parent), *extra, '--out',
                str(tmp_path), '--cfg-options',
                f'model.decode_head.text_embeddings.pretrained={tiny_clip_checkpoint}']

    return argv


def read_labels(out: Path, name: str) -> np.ndarray:
    return cv2.imread(str(out / 'labels' / f'{name}.png'), cv2.IMREAD_UNCHANGED)


def test_trained_model_writes_masks_of_image_size(trained_argv, tmp_path):
    infer_tool.main(trained_argv('--save-labels', '--batch-size', '2'))
    for name, size in (('voc', helpers.VOC_SIZE), ('astronaut', helpers.ASTRONAUT_SIZE)):
        labels = read_labels(tmp_path, name)
        assert labels.shape == size and labels.max() < 21
        assert cv2.imread(str(tmp_path / 'masks' / f'{name}.png')).shape == (*size, 3)
        assert cv2.imread(str(tmp_path / 'overlays' / f'{name}.png')).shape == (*size, 3)


def test_new_class_list_changes_the_classes(trained_argv, tmp_path, monkeypatch):
    built = {}
    init = infer_tool.build_trained_model
    monkeypatch.setattr(infer_tool, 'build_trained_model',
                        lambda *a: built.setdefault('model', init(*a)))
    infer_tool.main(trained_argv('--save-labels', '--classes', 'sky,person,grass',
                                 '--mode', 'slide', '--crop-size', '64'))
    model = built['model']
    assert (model.num_classes, model.out_channels, model.decode_head.num_classes) == (3, 3, 3)
    assert model.test_cfg.mode == 'slide' and model.test_cfg.crop_size == (64, 64)
    for name, size in (('voc', helpers.VOC_SIZE), ('astronaut', helpers.ASTRONAUT_SIZE)):
        labels = read_labels(tmp_path, name)
        assert labels.shape == size and labels.max() < 3


def test_zero_shot_runs_without_checkpoint(photos, tmp_path, tiny_clip_cfg,
                                           tiny_clip_checkpoint):
    infer_tool.main([
        '--zero-shot', str(photos['astronaut']), '--out', str(tmp_path), '--save-labels',
        '--class-defs', 'voc', '--clip-model', 'tiny', '--clip-pretrained',
        tiny_clip_checkpoint, '--clip-model-cfg', json.dumps(tiny_clip_cfg), '--img-size', '64'
    ])
    labels = read_labels(tmp_path, 'astronaut')
    assert labels.shape == helpers.ASTRONAUT_SIZE and labels.max() < 21


@pytest.mark.parametrize('make_argv, message', [
    (lambda a, p, t: a(str(t / 'nowhere')),
     "input not found: '{t}/nowhere'"),
    (lambda a, p, t: a(str(t / '*.tif')), "no image matches the pattern '{t}/*.tif'"),
    (lambda a, p, t: a('--class-defs', 'vocc'),
     "Unknown class definitions 'vocc': not a shipped name " +
     str(list_class_definitions()).replace('{', '{{').replace('}', '}}')),
    (lambda a, p, t: a(str(t / 'broken.jpg')),
     "cannot read image '{t}/broken.jpg': not a decodable image file"),
    (lambda a, p, t: a(str(t / 'empty')), "in the folder '{t}/empty'"),
    (lambda a, p, t: ['--zero-shot', str(p['voc']), '--out', str(t)],
     'zero-shot mode needs --classes or --class-defs'),
])
def test_bad_inputs_give_one_line_errors(trained_argv, photos, tmp_path, capsys, make_argv,
                                         message):
    (tmp_path / 'broken.jpg').write_bytes(b'not a jpeg')
    (tmp_path / 'empty').mkdir()
    with pytest.raises(SystemExit) as exit_info:
        infer_tool.main(make_argv(trained_argv, photos, tmp_path))
    assert exit_info.value.code == 2
    stderr = capsys.readouterr().err
    assert stderr.count('\n') == 1 and stderr.startswith('infer.py: error: ')
    assert message.format(t=tmp_path) in stderr


# ---------------------------------------------------------------- issue 14
def _one_line_error(capsys, argv):
    with pytest.raises(SystemExit) as exit_info:
        infer_tool.main(argv)
    stderr = capsys.readouterr().err
    assert exit_info.value.code == 2 and stderr.count('\n') == 1, stderr
    return stderr


def test_offline_zero_shot_fails_fast_naming_the_flag(photos, tmp_path, capsys, monkeypatch):
    built = []
    monkeypatch.setattr(infer_tool, 'build_zero_shot_model', lambda *a, **k: built.append(1))
    monkeypatch.setattr(infer_tool, '_weights_cached', lambda tag_cfg: False)
    hosts = []

    def unreachable(address, timeout=None):
        hosts.append((address, timeout))
        raise OSError('[Errno -3] Temporary failure in name resolution')

    monkeypatch.setattr(infer_tool.socket, 'create_connection', unreachable)
    monkeypatch.delenv('HF_HUB_OFFLINE', raising=False)
    stderr = _one_line_error(capsys, ['--zero-shot', str(photos['voc']), '--out', str(tmp_path),
                                      '--class-defs', 'voc', '--connect-timeout', '2'])
    assert stderr == (
        "infer.py: error: the CLIP weights 'openai' of ViT-B-16 are not downloaded yet and "
        'huggingface.co cannot be reached: [Errno -3] Temporary failure in name resolution; '
        'on an offline machine pass a local open_clip checkpoint file with --clip-pretrained '
        'FILE\n')
    assert hosts == [(('huggingface.co', 443), 2.0)] and not built


def test_zero_shot_accepts_the_config_model_names(photos, tmp_path, tiny_clip_checkpoint):
    # The demo config's 'semivl-tiny' (no --clip-model-cfg) and OpenAI's 'ViT-B/16'.
    assert infer_tool.clip_model_and_cfg('ViT-B/16', None) == ('ViT-B-16', None)
    infer_tool.main(['--zero-shot', str(photos['astronaut']), '--out', str(tmp_path),
                     '--save-labels', '--class-defs', 'voc', '--clip-model', 'semivl-tiny',
                     '--clip-pretrained', tiny_clip_checkpoint, '--img-size', '64'])
    assert read_labels(tmp_path, 'astronaut').shape == helpers.ASTRONAUT_SIZE


def test_sliding_window_smaller_than_the_patch_is_a_clear_error(trained_argv, capsys):
    stderr = _one_line_error(capsys, trained_argv('--mode', 'slide', '--crop-size', '8'))
    assert stderr == ('infer.py: error: sliding window (8, 8) is smaller than the backbone '
                      'patch size 16; use --crop-size of at least 16 (a multiple of 16 loses '
                      'no border pixels)\n')


def test_skip_bad_leaves_out_unreadable_images_and_lists_them(demo_config, checkpoint,
                                                              tiny_clip_checkpoint, photos,
                                                              tmp_path, capsys):
    folder = tmp_path / 'in'
    folder.mkdir()
    for name in ('voc.jpg', 'astronaut.png'):
        (folder / name).write_bytes(photos[name.split('.')[0]].read_bytes())
    (folder / 'broken.jpg').write_bytes(b'not a jpeg')
    argv = [demo_config, checkpoint, str(folder), '--out', str(tmp_path / 'out'),
            '--save-labels', '--cfg-options',
            f'model.decode_head.text_embeddings.pretrained={tiny_clip_checkpoint}']
    _one_line_error(capsys, argv)  # without --skip-bad the broken file stops the run
    infer_tool.main(argv[:3] + ['--skip-bad'] + argv[3:])
    assert sorted(p.name for p in (tmp_path / 'out' / 'labels').iterdir()) == [
        'astronaut.png', 'voc.png']
    stderr = capsys.readouterr().err
    assert (f"skipped 1 unreadable image(s) of 3 (--skip-bad):\n  cannot read image "
            f"'{folder}/broken.jpg': not a decodable image file\n") in stderr


def test_one_class_and_random_text_encoder_warn(trained_argv, monkeypatch):
    warnings = []
    monkeypatch.setattr(infer_tool, 'print_log',
                        lambda message, **kwargs: warnings.append(message))
    infer_tool.main(trained_argv('--classes', 'sky'))
    assert len(warnings) == 1 and warnings[0].startswith(
        "--classes names a single class ('sky'): the argmax of one class is that class")
    warnings.clear()
    infer_tool.warn_about_vocabulary(infer_tool.parse_class_list('sky,grass'), None)
    assert len(warnings) == 1 and 'random weights (pretrained=None)' in warnings[0]


def test_labels_are_upsampled_by_tiles_exactly_like_mmseg():
    import torch
    import torch.nn.functional as F

    from mmseg_semivl.apis.predictor import upsample_labels
    torch.manual_seed(0)
    for classes, low, high, align_corners in [(21, (9, 13), (91, 70), False),
                                              (5, (8, 8), (33, 64), True),
                                              (300, (6, 5), (13, 17), False)]:
        logits = torch.randn(classes, *low)
        full = F.interpolate(logits[None], size=high, mode='bilinear',
                             align_corners=align_corners)[0].argmax(0).numpy()
        tiled = upsample_labels(logits, high, align_corners, tile_pixels=100)
        assert tiled.dtype == (np.uint8 if classes <= 256 else np.uint16)
        assert np.array_equal(tiled, full)


def test_full_resolution_scores_are_never_built(trained_argv, tmp_path, monkeypatch):
    """The model's scores stay at the pipeline's size; upsampling holds one tile."""
    import torch

    from mmseg_semivl.apis import predictor
    big = tmp_path / 'big.png'
    cv2.imwrite(str(big), cv2.resize(cv2.imread(str(trained_argv()[2]) + '/voc.jpg'),
                                     (1500, 1125)))
    seen = dict(logits=[], tiles=[])
    init, grid_sample = predictor.LabelBands.__init__, torch.nn.functional.grid_sample
    monkeypatch.setattr(predictor.LabelBands, '__init__', lambda self, logits, *a: (
        seen['logits'].append(tuple(logits.shape)), init(self, logits, *a))[1])
    monkeypatch.setattr(torch.nn.functional, 'grid_sample', lambda x, grid, **k: (
        seen['tiles'].append(grid.shape[1] * grid.shape[2]), grid_sample(x, grid, **k))[1])
    argv = trained_argv('--save-labels', '--tile-pixels', '100000')
    argv[2] = str(big)
    infer_tool.main(argv)
    # The demo test pipeline resizes to fit (256, 128): 1500 x 1125 -> 171 x 128.
    assert seen['logits'] == [(21, 128, 171)]
    assert max(seen['tiles']) <= 100000 and sum(seen['tiles']) == 1500 * 1125
    assert read_labels(tmp_path, 'big').shape == (1125, 1500)


def test_peak_memory_of_a_24_megapixel_photo_stays_within_the_budget(
        demo_config, checkpoint, tiny_clip_checkpoint, photos, tmp_path):
    """Documented budget: the decoded image (3 bytes per pixel) plus one tile of scores
    and one band of pictures beyond the model (was ~160 bytes per pixel)."""
    import os
    import subprocess
    import sys
    big = tmp_path / 'big.jpg'
    rows = np.linspace(0, 255, 4000, dtype=np.float32)[:, None, None]
    cols = np.linspace(0, 255, 6000, dtype=np.float32)[None, :, None]
    cv2.imwrite(str(big), ((rows + cols) / 2 * np.ones(3, np.float32)).astype(np.uint8))
    probe = ('import resource, runpy, sys; sys.argv = sys.argv[1:]\n'
             'try: runpy.run_path(sys.argv[0], run_name="__main__")\n'
             'finally: print("PEAK_RSS_KB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,'
             ' file=sys.stderr)')

    def peak_bytes(image, out):
        result = subprocess.run(
            [sys.executable, '-c', probe, str(Path(infer_tool.__file__)), demo_config,
             checkpoint, str(image), '--out', str(out), '--cfg-options',
             f'model.decode_head.text_embeddings.pretrained={tiny_clip_checkpoint}'],
            env=dict(os.environ, OMP_NUM_THREADS='1'), capture_output=True, text=True,
            timeout=600)
        assert result.returncode == 0, result.stderr[-2000:]
        return int(result.stderr.rsplit('PEAK_RSS_KB', 1)[1].split()[0]) * 1024

    baseline = peak_bytes(photos['astronaut'], tmp_path / 'small')
    extra = peak_bytes(big, tmp_path / 'big') - baseline
    pixels = 6000 * 4000
    assert cv2.imread(str(tmp_path / 'big' / 'masks' / 'big.png')).shape == (4000, 6000, 3)
    # The documented budget: decoding (6 bytes per pixel at its peak, 3 after), one tile
    # of scores (21 classes x 4 bytes, grid and argmax 16 bytes per pixel) and one band of
    # pictures (~40 bytes per pixel); 25 % slack for the allocator. Before tiling this run
    # took ~153 bytes per pixel.
    budget = infer_tool.image_budget(infer_tool.DEFAULT_MAX_MEMORY_GIB, DEFAULT_TILE_PIXELS,
                                     21, 1 << 20)
    budget = 6 * pixels + int(infer_tool.DEFAULT_MAX_MEMORY_GIB * 2**30) - budget
    assert extra < 1.25 * budget, f'{extra / pixels:.1f} bytes per pixel'


def test_an_image_over_the_memory_budget_is_refused_before_decoding(trained_argv, tmp_path,
                                                                    capsys, monkeypatch):
    import mmcv
    big = tmp_path / 'big.png'
    cv2.imwrite(str(big), np.zeros((2000, 3000, 3), np.uint8))
    decoded = []
    imfrombytes = mmcv.imfrombytes
    monkeypatch.setattr(mmcv, 'imfrombytes', lambda *a, **k: (decoded.append(1),
                                                               imfrombytes(*a, **k))[1])
    argv = trained_argv('--max-memory', '0.05', '--tile-pixels', '1000')
    argv[2] = str(big)
    with pytest.raises(SystemExit) as exit_info:
        infer_tool.main(argv)
    assert exit_info.value.code == 2 and not decoded
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert line.endswith(f"cannot read image '{big}': 3000 x 2000 = 6000000 pixels need "
                         '0.03 GiB to decode (6 bytes per pixel), more than the memory budget of '
                         '0.01 GiB (raise --max-memory)'), line
    with pytest.raises(SystemExit, match='2'):
        infer_tool.main(trained_argv('--max-memory', '0.01'))
    assert 'does not hold one tile of scores' in capsys.readouterr().err


def test_an_image_beyond_the_decoder_limit_is_named_with_the_reason(tmp_path):
    import os
    import subprocess
    import sys
    path = tmp_path / 'wide.png'
    cv2.imwrite(str(path), np.zeros((40, 50, 3), np.uint8))
    code = ('import mmseg_semivl\nfrom mmseg_semivl.apis import read_image\n'
            'try: read_image(%r)\nexcept ValueError as err: print(err)' % str(path))
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                            env=dict(os.environ, OPENCV_IO_MAX_IMAGE_PIXELS='1000'), timeout=300)
    assert result.stdout.strip() == (
        f"cannot read image '{path}': 50 x 40 = 2000 pixels is more than OpenCV decodes "
        '(1000; raise it with the environment variable OPENCV_IO_MAX_IMAGE_PIXELS, the decoded '
        'image then needs 0.0 GiB)')
