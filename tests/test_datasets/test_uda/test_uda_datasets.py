"""Each UDA dataset loads its miniature (real layout and names) through a real pipeline;
MMSeg's Cityscapes / Dark Zurich / BDD100K are reused as unlabeled targets; the two-stream
loader of the UDA configs delivers source + target batches."""

import copy
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope
from mmseg.datasets import BDD100KDataset, CityscapesDataset, DarkZurichDataset
from mmseg.registry import DATA_SAMPLERS, DATASETS, MODELS
from torch.utils.data import DataLoader
from uda_miniatures import (CONFIGS, make_acdc, make_bdd100k_val, make_cityscapes,
                            make_darkzurich_train, make_darkzurich_val, make_gta, make_mapillary,
                            make_synthia, load_tool, tile, write_gray)

from mmseg_semivl.datasets import (ACDCDataset, GTADataset, MapillaryCityscapesDataset,
                                   SynthiaDataset, UnlabeledBDD100KDataset,
                                   UnlabeledCityscapesDataset, UnlabeledDarkZurichDataset)
from mmseg_semivl.datasets.transforms.checks import BadInputError
from mmseg_semivl.utils import visit_dicts

init_default_scope('mmseg')
EXACT = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'), dict(type='PackSegInputs')]
GTA_RAW = [tile([7, 8, 26, 33, 0, 34, 11, 31]), tile([24] * 4 + [25] * 4)]
GTA_TRAIN = [tile([0, 1, 13, 18, 255, 255, 2, 16]), tile([11] * 4 + [12] * 4)]


def config(name):
    return Config.fromfile(str(CONFIGS / '_base_' / 'datasets' / f'{name}.py'))


def shrink(node, crop=16):
    """Miniature sizes for the configs' pipelines (the structure stays the configs')."""

    def visit(step):
        if step.get('type') == 'Resize':
            step['scale'] = (96, 64)
        if step.get('type') == 'RandomCrop':
            step['crop_size'] = (crop, crop)
        if step.get('type') == 'PadToSize':
            step['size'] = (crop, crop)

    visit_dicts(node, visit)
    return node


def gt(sample):
    return sample['data_samples'].gt_sem_seg.data[0].numpy()


@pytest.fixture()
def gta_root(tmp_path):
    make_gta(tmp_path / 'gta', GTA_RAW)
    assert load_tool('dataset_converters/prepare_gta.py').main([str(tmp_path / 'gta')]) == 0
    return tmp_path / 'gta'


def test_gta_exact_labels_and_config_pipeline(gta_root):
    dataset = GTADataset(data_root=str(gta_root), pipeline=EXACT)
    assert len(dataset) == 2
    assert dataset.metainfo['classes'] == CityscapesDataset.METAINFO['classes']
    sample = dataset[1]
    assert sample['data_samples'].img_path == osp.join(str(gta_root), 'images', '00002.png')
    np.testing.assert_array_equal(gt(sample), GTA_TRAIN[1])
    # The DAFormer source pipeline of the config: resize, crop with cat_max_ratio, flip.
    cfg = shrink(config('uda_gta_to_cityscapes').source_dataset.to_dict())
    cfg['data_root'] = str(gta_root)
    packed = DATASETS.build(cfg)[0]
    assert packed['inputs']['labeled'].shape == (3, 16, 16)
    labels = packed['data_samples']['labeled'].gt_sem_seg.data
    assert set(labels.unique().tolist()) <= {0, 1, 13, 18, 255, 2, 16}
    assert packed['inputs']['weak'] is None and packed['data_samples']['unlabeled'] is None


def test_synthia_exact_labels(tmp_path):
    root = tmp_path / 'synthia'
    make_synthia(root, [tile([3, 4, 2, 21, 5, 7, 15, 0])])
    assert load_tool('dataset_converters/prepare_synthia.py').main([str(root)]) == 0
    dataset = SynthiaDataset(data_root=str(root), pipeline=EXACT)
    sample = dataset[0]
    assert sample['data_samples'].img_path.endswith(osp.join('RGB', '0000000.png'))
    np.testing.assert_array_equal(gt(sample), tile([0, 1, 2, 3, 4, 5, 6, 255]))
    cfg = shrink(config('uda_synthia_to_cityscapes').source_dataset.to_dict())
    cfg['data_root'] = str(root)
    assert DATASETS.build(cfg)[0]['inputs']['labeled'].shape == (3, 16, 16)


@pytest.fixture()
def acdc_root(tmp_path):
    root = tmp_path / 'acdc'
    labels = {c: {'val': [tile([k] * 8)], 'train': [tile([k] * 8), tile([k] * 8)]}
              for k, c in enumerate(('fog', 'night', 'rain', 'snow'))}
    make_acdc(root, labels)
    return root


def test_acdc_conditions_are_selectable(acdc_root):
    fog = ACDCDataset(data_root=str(acdc_root), conditions='fog', split='val', pipeline=EXACT)
    assert len(fog) == 1 and f'{osp.sep}fog{osp.sep}val{osp.sep}' in fog[0]['data_samples'].img_path
    np.testing.assert_array_equal(gt(fog[0]), tile([0] * 8))
    two = ACDCDataset(data_root=str(acdc_root), conditions=['night', 'snow'], split='val',
                      pipeline=EXACT)
    assert [gt(two[i])[0, 0] for i in range(2)] == [1, 3]
    every = ACDCDataset(data_root=str(acdc_root), split='train')
    assert len(every) == 8
    assert [every.get_data_info(i)['condition'] for i in range(0, 8, 2)] == [
        'fog', 'night', 'rain', 'snow']
    assert every.get_data_info(0)['seg_map_path'] == osp.join(
        str(acdc_root), 'gt', 'fog', 'train', 'GOPR0475',
        'GOPR0475_frame_000000_gt_labelTrainIds.png')
    with pytest.raises(ValueError, match=r"unknown condition\(s\) \['haze'\]"):
        ACDCDataset(data_root=str(acdc_root), conditions=['fog', 'haze'])
    with pytest.raises(FileNotFoundError, match=r'rgb_anon/fog/test does not exist .* 500 images'):
        ACDCDataset(data_root=str(acdc_root), conditions='fog', split='test')


def test_acdc_unlabeled_target_needs_no_labels(acdc_root, tmp_path):
    import shutil
    shutil.rmtree(acdc_root / 'gt')
    cfg = shrink(config('uda_cityscapes_to_acdc').target_dataset.to_dict())
    cfg['data_root'] = str(acdc_root)
    dataset = DATASETS.build(cfg)
    assert len(dataset) == 8 and all(
        dataset.get_data_info(i)['seg_map_path'] is None for i in range(8))
    packed = dataset[0]
    assert packed['inputs']['weak'].shape == (3, 16, 16)
    assert packed['inputs']['strong1'] is None and packed['inputs']['labeled'] is None
    target = packed['data_samples']['unlabeled']
    assert 'gt_sem_seg' not in target and target.valid_mask.data.shape == (1, 16, 16)


def test_mapillary_through_the_test_domain_pipeline(tmp_path):
    root = tmp_path / 'mapillary'
    make_mapillary(root, 'validation', [tile([13, 24, 41, 2, 15, 20, 65, 64])])
    assert load_tool('dataset_converters/prepare_mapillary.py').main(
        [str(root), '--splits', 'validation']) == 0
    cfg = config('uda_test_domains').test_domains.mapillary.to_dict()
    cfg['data_root'] = str(root)
    dataset = DATASETS.build(cfg)
    assert isinstance(dataset, MapillaryCityscapesDataset) and len(dataset) == 1
    sample = dataset[0]
    # Resize (1024, 512) keeping the ratio: 32 x 48 -> 512 x 768; the label is loaded after
    # the resize (MMSeg's test pipelines): evaluated at its own resolution.
    assert sample['inputs'].shape == (3, 512, 768)
    np.testing.assert_array_equal(gt(sample), tile([0, 0, 0, 1, 1, 12, 255, 255]))


def test_mmseg_datasets_reused_as_unlabeled_targets(tmp_path):
    make_cityscapes(tmp_path / 'cs', 'train', [tile([0] * 8), tile([1] * 8)])
    make_darkzurich_train(tmp_path / 'dz', num=3)
    make_bdd100k_val(tmp_path / 'bdd', [tile([2] * 8)])
    cases = [
        (UnlabeledCityscapesDataset, CityscapesDataset, 'cs',
         dict(img_path='leftImg8bit/train', seg_map_path='gtFine/train'), 2),
        (UnlabeledDarkZurichDataset, DarkZurichDataset, 'dz', dict(img_path='rgb_anon/train/night'),
         3),
        (UnlabeledBDD100KDataset, BDD100KDataset, 'bdd', dict(img_path='images/10k/val'), 1),
    ]
    target_pipeline = shrink(config('uda_gta_to_cityscapes').target_pipeline)
    for cls, mmseg_cls, folder, prefix, num in cases:
        assert issubclass(cls, mmseg_cls)  # MMSeg's class, not a copy
        dataset = cls(data_root=str(tmp_path / folder), data_prefix=prefix,
                      pipeline=target_pipeline)
        assert len(dataset) == num
        assert dataset.get_data_info(0)['seg_map_path'] is None
        assert dataset[0]['inputs']['weak'].shape == (3, 16, 16)


def test_labeled_mmseg_domains_build_from_the_domain_file(tmp_path):
    make_cityscapes(tmp_path / 'cs', 'val', [tile([0] * 8)])
    make_darkzurich_val(tmp_path / 'dz', [tile([10] * 8), tile([8] * 8)])
    make_bdd100k_val(tmp_path / 'bdd', [tile([2] * 8)])
    domains = config('uda_test_domains').test_domains
    for name, folder, value in (('cityscapes', 'cs', 0), ('darkzurich', 'dz', 10),
                                ('bdd100k', 'bdd', 2)):
        cfg = domains[name].to_dict()
        cfg['data_root'] = str(tmp_path / folder)
        cfg['pipeline'] = EXACT
        dataset = DATASETS.build(cfg)
        assert np.unique(gt(dataset[0])).tolist() == [value], name


def test_missing_train_id_labels_name_count_and_converter(tmp_path):
    make_gta(tmp_path, GTA_RAW)  # not converted
    with pytest.raises(FileNotFoundError) as error:
        GTADataset(data_root=str(tmp_path))
    message = str(error.value)
    assert '2 of 2 label files (*_labelTrainIds.png) are missing' in message
    assert str(tmp_path / 'labels' / '00001_labelTrainIds.png') in message
    assert 'prepare_gta.py' in message
    # The unlabeled variant needs none.
    assert len(GTADataset(data_root=str(tmp_path), with_labels=False)) == 2
    # missing_labels='skip' leaves out the images without label (here: the second one).
    write_gray(tmp_path / 'labels' / '00001_labelTrainIds.png', GTA_TRAIN[0])
    kept = GTADataset(data_root=str(tmp_path), missing_labels='skip')
    assert [osp.basename(kept.get_data_info(i)['img_path']) for i in range(len(kept))] == [
        '00001.png']
    with pytest.raises(FileNotFoundError, match=r'image folder .*RGB does not exist'):
        SynthiaDataset(data_root=str(tmp_path))


def test_raw_ids_in_labels_are_named_by_the_pipeline(gta_root):
    bad = gta_root / 'labels' / '00002_labelTrainIds.png'
    write_gray(bad, tile([26] * 8))  # the raw GTA id of car instead of train id 13
    cfg = shrink(config('uda_gta_to_cityscapes').source_dataset.to_dict())
    cfg['data_root'] = str(gta_root)
    dataset = DATASETS.build(cfg)
    with pytest.raises(BadInputError, match=f'label file {bad} has values \\[26\\]'):
        dataset[1]


TRAIN_CONFIGS = ['uda_gta_to_cityscapes', 'uda_gta_to_cityscapes_rcs', 'uda_synthia_to_cityscapes',
                 'uda_synthia_to_cityscapes_rcs', 'uda_cityscapes_to_acdc',
                 'uda_cityscapes_to_darkzurich', 'uda_cityscapes_to_acdc_rcs',
                 'uda_cityscapes_to_darkzurich_rcs']


@pytest.fixture(scope='module')
def all_roots(tmp_path_factory):
    """Miniatures of every dataset the UDA configs train on, keyed by dataset type."""
    base = tmp_path_factory.mktemp('uda_roots')
    make_gta(base / 'gta', GTA_RAW)
    assert load_tool('dataset_converters/prepare_gta.py').main([str(base / 'gta')]) == 0
    make_synthia(base / 'synthia', [tile([3] * 4 + [4] * 4), tile([8] * 8)])
    assert load_tool('dataset_converters/prepare_synthia.py').main([str(base / 'synthia')]) == 0
    # labelIds 7 / 8 / 11 = road / sidewalk / building; the converter writes the trainId
    # masks and the rare-class statistics of a Cityscapes source (CS -> ACDC / Dark Zurich).
    make_cityscapes(base / 'cs', 'train', [tile([7] * 8), tile([8] * 8), tile([11] * 8)],
                    label_ids=True)
    assert load_tool('dataset_converters/prepare_cityscapes.py').main(
        [str(base / 'cs'), '--splits', 'train']) == 0
    make_acdc(base / 'acdc', {c: {'train': [tile([5] * 8)]} for c in ('fog', 'night', 'rain',
                                                                        'snow')})
    make_darkzurich_train(base / 'dz', num=2)
    return {'GTADataset': base / 'gta', 'SynthiaDataset': base / 'synthia',
            'CityscapesDataset': base / 'cs', 'UnlabeledCityscapesDataset': base / 'cs',
            'ACDCDataset': base / 'acdc', 'UnlabeledDarkZurichDataset': base / 'dz'}


@pytest.mark.parametrize('name', TRAIN_CONFIGS)
def test_two_stream_loader_of_the_configs(name, all_roots):
    cfg = shrink(config(name).train_dataloader.to_dict())
    for dataset in cfg['dataset']['datasets']:
        dataset['data_root'] = str(all_roots[dataset['type']])
    if name.endswith('_rcs'):  # miniature images: eligibility and crop thresholds shrink too
        cfg['dataset']['rare_class_sampling'].update(min_pixels=100, min_crop_ratio=0.5)
    dataset = DATASETS.build(cfg['dataset'])
    sampler = DATA_SAMPLERS.build(dict(cfg['sampler'], seed=0), default_args=dict(dataset=dataset))
    assert type(sampler).__name__ == ('RareClassMultiSourceSampler' if name.endswith('_rcs')
                                      else 'MultiSourceSampler')
    loader = DataLoader(dataset, batch_size=cfg['batch_size'], sampler=sampler,
                        collate_fn=pseudo_collate)
    batch = next(iter(loader))
    labeled = [s is not None for s in batch['data_samples']['labeled']]
    assert labeled == [True, True, False, False]  # 2 source + 2 target, DAFormer's batch
    for sample in batch['data_samples']['unlabeled'][2:]:
        assert 'gt_sem_seg' not in sample  # the target stream reads no label
    preprocessor = MODELS.build(dict(type='SemiSegDataPreProcessor', mean=[0, 0, 0],
                                     std=[1, 1, 1], size=(16, 16)))
    out = preprocessor(copy.deepcopy(batch), training=True)
    assert sorted(out['inputs']) == ['labeled', 'weak']
    assert out['inputs']['labeled'].shape == out['inputs']['weak'].shape == (2, 3, 16, 16)
    assert isinstance(out['inputs']['weak'], torch.Tensor)


def _find(pipeline, kind):
    return next(t for t in pipeline if t['type'] == kind)


@pytest.mark.parametrize('name,source_scale,target_scale,val_scale', [
    ('uda_gta_to_cityscapes', (1280, 720), (1024, 512), (1024, 512)),
    ('uda_synthia_to_cityscapes', (1280, 760), (1024, 512), (1024, 512)),
    ('uda_cityscapes_to_acdc', (1024, 512), (960, 540), (960, 540)),
    ('uda_cityscapes_to_darkzurich', (1024, 512), (960, 540), (960, 540)),
])
def test_configs_hold_daformers_pipelines(name, source_scale, target_scale, val_scale):
    cfg = config(name)
    source, target = (d['pipeline'] for d in cfg.train_dataloader.dataset.datasets)
    assert _find(source, 'Resize')['scale'] == source_scale
    assert _find(source, 'RandomCrop') == dict(type='RandomCrop', crop_size=(512, 512),
                                               cat_max_ratio=0.75)
    assert _find(target, 'Resize')['scale'] == target_scale
    assert _find(target, 'RandomCrop') == dict(type='RandomCrop', crop_size=(512, 512))
    assert _find(source, 'RandomFlip')['prob'] == _find(target, 'RandomFlip')['prob'] == 0.5
    # No photometric augmentation in the pipelines: the methods do it on the GPU.
    assert not {'PhotoMetricDistortion', 'StrongAugment'} & {t['type'] for t in source + target}
    assert _find(cfg.val_dataloader.dataset.pipeline, 'Resize')['scale'] == val_scale
    assert cfg.train_dataloader.sampler.source_ratio == (1, 1)
    assert cfg.train_dataloader.batch_size == cfg.train_dataloader.sampler.batch_size == 4
    subsets = cfg.val_evaluator.get('class_subsets')
    assert subsets == ('synthia' if 'synthia' in name else None)


def test_rcs_configs_use_daformers_values():
    for name in ('uda_gta_to_cityscapes_rcs', 'uda_synthia_to_cityscapes_rcs',
                 'uda_cityscapes_to_acdc_rcs', 'uda_cityscapes_to_darkzurich_rcs'):
        loader = config(name).train_dataloader
        rcs = loader.dataset.rare_class_sampling  # UDAConcatDataset wraps the source
        assert loader.sampler.type == 'RareClassMultiSourceSampler'
        assert (rcs.temperature, rcs.min_pixels, rcs.min_crop_ratio,
                rcs.max_crop_attempts) == (0.01, 3000, 0.5, 10)
