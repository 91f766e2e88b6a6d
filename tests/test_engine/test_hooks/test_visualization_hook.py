"""SemiVLVisualizationHook: the panel it draws, and training left untouched."""

import glob
import os.path as osp
import random
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
import skimage.data
import torch
from mmengine.config import Config
from mmengine.runner import Runner
from mmseg.apis import init_model
from mmseg.registry import HOOKS

from mmseg_semivl.datasets import UnlabeledFolderDataset
from mmseg_semivl.engine.hooks import SemiVLVisualizationHook
from mmseg_semivl.engine.hooks.visualization_hook import preserved_rng_state
from mmseg_semivl.visualization.panel import TITLE_HEIGHT
from tools import train as train_tool

CROP = 128  # the demo config's crop
GAP = 4  # make_panel / stack_rows default
# Keep-ratio fit of an 80 x 96 image into the 128 crop: 107 x 128, padded to 128 x 128.
ASTRONAUT_SIZE, FITTED_HEIGHT = (80, 96), 107
# Loading with a random flip draws from NumPy's random stream.
RANDOM_PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadOptionalAnnotations'),
    dict(type='Resize', scale=(CROP, CROP), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]


def panel_shape(num_images: int) -> tuple:
    height = num_images * (TITLE_HEIGHT + CROP) + (num_images - 1) * GAP
    return height, 5 * CROP + 4 * GAP, 3


def rng_draws() -> tuple:
    return random.random(), float(np.random.rand()), float(torch.rand(()))


def test_preserved_rng_state_restores_every_stream():
    random.seed(1), np.random.seed(1), torch.manual_seed(1)
    expected = rng_draws()
    random.seed(1), np.random.seed(1), torch.manual_seed(1)
    with preserved_rng_state():
        rng_draws()
    assert rng_draws() == expected


@pytest.fixture
def fake_runner(tmp_path, demo_config, tiny_clip_checkpoint):
    """A runner stand-in: the demo model and a folder holding one astronaut photo."""
    folder = tmp_path / 'unlabeled'
    folder.mkdir()
    photo = cv2.resize(skimage.data.astronaut(), ASTRONAUT_SIZE[::-1])
    cv2.imwrite(str(folder / 'astronaut.png'), photo[..., ::-1])
    cfg = Config.fromfile(demo_config)
    for key in ('backbone', 'guidance', 'decode_head.text_embeddings'):
        cfg.merge_from_dict({f'model.{key}.pretrained': tiny_clip_checkpoint})
    model = init_model(cfg, device='cpu').train()
    dataset = UnlabeledFolderDataset(data_root=str(folder))
    return SimpleNamespace(model=model, train_dataloader=SimpleNamespace(dataset=dataset),
                           work_dir=str(tmp_path), iter=4, visualizer=None)


def test_panel_of_an_unlabeled_photo(fake_runner):
    hook = SemiVLVisualizationHook(interval=5, num_images=3, pipeline=RANDOM_PIPELINE,
                                   add_to_visualizer=False)
    model = fake_runner.model
    random.seed(0), np.random.seed(0), torch.manual_seed(0)
    expected_draws = rng_draws()
    random.seed(0), np.random.seed(0), torch.manual_seed(0)
    hook.after_train_iter(fake_runner, batch_idx=4)  # iteration 5: draws
    assert rng_draws() == expected_draws
    assert model.training and not model.guidance.training

    panel = cv2.imread(osp.join(fake_runner.work_dir, 'vis', 'iter_5.png'))[..., ::-1]
    assert panel.shape == panel_shape(1)  # one image in the dataset
    tiles = [panel[TITLE_HEIGHT:, i * (CROP + GAP):i * (CROP + GAP) + CROP] for i in range(5)]
    image, gt, pred, pseudo, guidance = tiles
    assert (gt == 200).all()  # no ground truth: grey
    assert (image[FITTED_HEIGHT:] == 0).all() and image[:FITTED_HEIGHT].any()
    for tile in (pred, pseudo, guidance):
        assert (tile[FITTED_HEIGHT:] == 255).all()  # padding: ignored

    # The prediction tile shows predict_training_targets in the palette.
    inputs, _ = hook._batch(model)
    maps = model.predict_training_targets(inputs)
    labels = maps['prediction'][0, :FITTED_HEIGHT].numpy()
    np.testing.assert_array_equal(pred[:FITTED_HEIGHT],
                                  np.asarray(hook._palette, np.uint8)[labels])


def test_hook_checks_its_model(fake_runner):
    fake_runner.model = torch.nn.Linear(1, 1)
    with pytest.raises(TypeError, match='predict_training_targets'):
        SemiVLVisualizationHook(interval=1).after_train_iter(fake_runner, batch_idx=0)


def train_two_iterations(demo_config, work_dir, options, with_hook):
    """Two training iterations of the demo config: no validation, no checkpoint."""
    cfg = train_tool.build_config(train_tool.parse_args(
        [demo_config, '--work-dir', str(work_dir), '--cfg-options', *options]))
    hooks = [dict(type='SemiVLVisualizationHook', interval=1, num_images=2,
                  pipeline=RANDOM_PIPELINE)] if with_hook else []
    # Built from parts, not from the config: dumping and logging a config (and
    # checkpoints) takes longer than the training itself.
    runner = Runner(
        model=cfg.model, work_dir=str(work_dir), train_dataloader=cfg.train_dataloader,
        optim_wrapper=cfg.optim_wrapper, param_scheduler=cfg.param_scheduler,
        train_cfg=dict(type='IterBasedTrainLoop', max_iters=2),
        default_hooks=dict(checkpoint=None), custom_hooks=hooks, randomness=cfg.randomness,
        default_scope='mmseg', log_processor=cfg.log_processor,
        # A visualizer per run: MMEngine keeps one instance per name.
        visualizer=dict(type='SegLocalVisualizer', vis_backends=[dict(type='LocalVisBackend')],
                        name=f'visualizer_{work_dir.name}'))
    runner.train()
    return runner.model.state_dict()


def test_training_is_identical_with_and_without_the_hook(tmp_path, demo_config,
                                                         tiny_train_options):
    assert HOOKS.get('SemiVLVisualizationHook') is SemiVLVisualizationHook
    # The schedule ends later: with end=2, PolyLR gives iteration 2 a zero rate,
    # which would hide any effect of the hook on it.
    options = tiny_train_options(max_iters=2, **{'param_scheduler.0.end': 10})
    plain = train_two_iterations(demo_config, tmp_path / 'plain', options, False)
    hooked = train_two_iterations(demo_config, tmp_path / 'hooked', options, True)
    for iteration in (1, 2):
        panel = cv2.imread(str(tmp_path / 'hooked' / 'vis' / f'iter_{iteration}.png'))
        assert panel.shape == panel_shape(2)
    backend = glob.glob(str(tmp_path / 'hooked' / '*' / 'vis_data' / 'vis_image' /
                            'semivl_targets_2.png'))
    assert len(backend) == 1  # also sent to the visualizer's LocalVisBackend
    assert set(plain) == set(hooked)
    for key in plain:
        torch.testing.assert_close(hooked[key], plain[key], rtol=0, atol=0, msg=key)
