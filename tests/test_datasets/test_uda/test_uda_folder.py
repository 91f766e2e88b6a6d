"""The folder-based custom UDA dataset, and its example config trained end to end (two
iterations of SemiVL with the tiny CLIP, then validation on target_val)."""

import copy
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope
from uda_miniatures import CONFIGS, write_gray, write_image

from mmseg_semivl.datasets import UDAFolderDataset
from mmseg_semivl.models.backbones import TINY_CLIP_CFG
from mmseg_semivl.utils import visit_dicts

init_default_scope('mmseg')
EXAMPLE = CONFIGS / 'uda' / 'custom_folder_example.py'
CLASSES = ('road', 'sidewalk', 'building', 'vegetation', 'sky', 'person', 'car')
EXACT = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'), dict(type='PackSegInputs')]


def label(seed, hw=(64, 96)):
    values = np.random.default_rng(seed).integers(0, len(CLASSES), hw)
    values[:4] = 255
    return values


@pytest.fixture()
def folder(tmp_path):
    root = tmp_path / 'my_uda'
    root.mkdir()
    (root / 'classes.txt').write_text('\n'.join(CLASSES) + '\n\n')
    for i, rel in enumerate(['street/a.png', 'b.jpg']):  # sub-folders, any image type
        write_image(root / 'source/images' / rel, (64, 96), seed=i)
        write_gray(root / 'source/labels' / (osp.splitext(rel)[0] + '.png'), label(i))
    for i in range(2):
        write_image(root / 'target/images' / f'frame_{i}.jpg', (64, 96), seed=10 + i)
        write_image(root / 'target_val/images' / f'val_{i}.png', (64, 96), seed=20 + i)
        write_gray(root / 'target_val/labels' / f'val_{i}.png', label(20 + i))
    return root


def test_parts_classes_and_labels(folder):
    source = UDAFolderDataset(part='source', data_root=str(folder), pipeline=EXACT)
    assert source.metainfo['classes'] == CLASSES
    assert [osp.relpath(source.get_data_info(i)['img_path'], folder) for i in range(2)] == [
        osp.join('source', 'images', 'b.jpg'), osp.join('source', 'images', 'street', 'a.png')]
    np.testing.assert_array_equal(source[1]['data_samples'].gt_sem_seg.data[0].numpy(), label(0))
    target = UDAFolderDataset(part='target', data_root=str(folder))
    assert len(target) == 2 and target.get_data_info(0)['seg_map_path'] is None
    val = UDAFolderDataset(part='target_val', data_root=str(folder), pipeline=EXACT)
    np.testing.assert_array_equal(val[1]['data_samples'].gt_sem_seg.data[0].numpy(), label(21))


def test_bad_folders_are_named(folder):
    with pytest.raises(ValueError, match=r'lists 7 classes but the config says num_classes=19'):
        UDAFolderDataset(part='source', data_root=str(folder), num_classes=19)
    with pytest.raises(ValueError,
                       match=r"config's classes \('road', 'car'\) differ from .*classes.txt"):
        UDAFolderDataset(part='source', data_root=str(folder),
                         metainfo=dict(classes=('road', 'car')))
    (folder / 'target_val/labels/val_1.png').unlink()
    with pytest.raises(FileNotFoundError, match=r'\(target_val\): 1 of 2 images have no label'):
        UDAFolderDataset(part='target_val', data_root=str(folder))
    (folder / 'classes.txt').write_text('road\ncar\nroad\n')
    with pytest.raises(ValueError, match=r"classes.txt: class 'road' on lines 1 and 3"):
        UDAFolderDataset(part='target', data_root=str(folder))
    with pytest.raises(ValueError, match="part must be one of"):
        UDAFolderDataset(part='val', data_root=str(folder))


def tiny_example(folder, work_dir, checkpoint):
    """The example config on the miniature, with the tiny CLIP and 64-pixel crops."""
    cfg = Config.fromfile(str(EXAMPLE))
    assert cfg.num_classes == len(CLASSES) and cfg.model.decode_head.num_classes == len(CLASSES)
    clip = dict(model_name='semivl-tiny', model_cfg=copy.deepcopy(TINY_CLIP_CFG),
                pretrained=checkpoint)
    cfg.model.backbone.update(clip, img_size=64, skip_blocks=(0, 1))
    cfg.model.decode_head.update(in_channels=(64, 64, 64), text_channels=64)
    cfg.model.decode_head.text_embeddings.update(clip)
    cfg.model.guidance.update(clip, img_size=64)
    cfg.model.data_preprocessor.size = (64, 64)
    cfg.model.test_cfg = dict(mode='whole')

    def shrink(node):
        if node.get('type') == 'Resize':
            node['scale'] = (128, 64)
        if node.get('type') in ('RandomCrop', 'PadToSize'):
            node['crop_size' if node['type'] == 'RandomCrop' else 'size'] = (64, 64)
        if 'data_root' in node:
            node['data_root'] = str(folder)

    for loader in (cfg.train_dataloader, cfg.val_dataloader):
        visit_dicts(loader, shrink)
        loader.update(num_workers=0, persistent_workers=False)
    cfg.test_dataloader = cfg.val_dataloader
    cfg.train_cfg.update(max_iters=2, val_interval=2)
    cfg.param_scheduler[0]['end'] = 2
    cfg.default_hooks.checkpoint.update(interval=2, save_best=None)
    cfg.default_hooks.logger.interval = 1
    cfg.work_dir = str(work_dir)
    cfg.randomness = dict(seed=0)
    return cfg


def test_example_config_trains_and_validates(folder, tmp_path, tiny_clip_checkpoint):
    from mmengine.runner import Runner

    cfg = tiny_example(folder, tmp_path / 'work', tiny_clip_checkpoint)
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 2 and osp.isfile(tmp_path / 'work' / 'iter_2.pth')
    # The train streams: 1 labeled source + 1 unlabeled target per batch, classes of the file.
    dataset = runner.train_dataloader.dataset
    assert [type(d).__name__ for d in dataset.datasets] == ['UDAFolderDataset'] * 2
    assert [d.part for d in dataset.datasets] == ['source', 'target']
    assert dataset.metainfo['classes'] == CLASSES
    metrics = runner.val_loop.run()
    assert set(f'IoU.{c}' for c in CLASSES) <= set(metrics) and 0 <= metrics['mIoU'] <= 100
