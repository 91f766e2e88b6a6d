"""tools/infer.py: trained model, new class list, zero-shot CLIP, and bad inputs."""
import mmseg_semivl  # noqa: F401  (must precede mmseg imports)

import importlib.util
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

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
     "Unknown class definitions 'vocc': not a shipped name ['ade20k', 'cityscapes', 'coco', "
     "'voc', 'voc_gpt', 'voc_guidelines', 'voc_names']"),
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
