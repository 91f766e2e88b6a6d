"""tools/test_domains.py: one checkpoint on several domains, hand-checked mIoUs, the mean,
mIoU16/13, JSON + Markdown, and absent domains skipped with the path looked for."""

import json

import pytest
import torch
from mmengine.registry import DefaultScope
from mmseg.registry import MODELS
from uda_miniatures import load_tool, make_acdc, make_cityscapes, tile

test_domains = load_tool('test_domains.py')

# A segmentor whose classifier ignores its input and always predicts road (class 0):
# its IoUs follow from the labels alone.
MODEL = dict(
    type='EncoderDecoder',
    data_preprocessor=dict(type='SegDataPreProcessor', mean=[0.0] * 3, std=[1.0] * 3,
                           bgr_to_rgb=True, pad_val=0, seg_pad_val=255),
    backbone=dict(type='ResNetV1c', depth=18, stem_channels=8, base_channels=8,
                  out_indices=(3, ), norm_cfg=dict(type='BN')),
    decode_head=dict(type='FCNHead', in_channels=64, in_index=0, channels=8, num_convs=1,
                     concat_input=False, dropout_ratio=0.0, num_classes=19,
                     norm_cfg=dict(type='BN'), align_corners=False,
                     loss_decode=dict(type='CrossEntropyLoss')),
    test_cfg=dict(mode='whole'))
CONFIG = f"""
default_scope = 'mmseg'
custom_imports = dict(imports=['mmseg_semivl'], allow_failed_imports=False)
env_cfg = dict(dist_cfg=dict(backend='gloo'))
model = {MODEL!r}
test_dataloader = dict(batch_size=1, num_workers=0, persistent_workers=False,
                       sampler=dict(type='DefaultSampler', shuffle=False), dataset=None)
test_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_cfg = dict(type='TestLoop')
"""


@pytest.fixture()
def setup(tmp_path):
    config = tmp_path / 'tiny.py'
    config.write_text(CONFIG)
    with DefaultScope.overwrite_default_scope('mmseg'):
        model = MODELS.build(MODEL)
    with torch.no_grad():
        model.decode_head.conv_seg.weight.zero_()
        model.decode_head.conv_seg.bias.copy_(torch.tensor([1.0] + [0.0] * 18))
    checkpoint = tmp_path / 'tiny.pth'
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), checkpoint)
    # Cityscapes val: road 2304 px, sidewalk 768 px -> IoU road 0.75, sidewalk 0 -> 37.5.
    make_cityscapes(tmp_path / 'cs', 'val', [tile([0] * 4 + [1] * 4), tile([0] * 8)])
    # ACDC val: road 1536 px, pole 768 px, 768 ignored -> road 2/3, pole 0 -> 33.33;
    # without pole (13 classes) 66.67.
    make_acdc(tmp_path / 'acdc', {'fog': {'val': [tile([0] * 8)]},
                                  'night': {'val': [tile([5] * 4 + [255] * 4)]},
                                  'rain': {'val': []}, 'snow': {'val': []}})
    for condition in ('rain', 'snow'):
        for top in ('rgb_anon', 'gt'):
            (tmp_path / 'acdc' / top / condition / 'val').mkdir(parents=True)
    roots = [f'{name}={tmp_path / folder}' for name, folder in (
        ('cityscapes', 'cs'), ('acdc', 'acdc'), ('darkzurich', 'dz'), ('bdd100k', 'bdd'),
        ('mapillary', 'mapillary'))]
    return tmp_path, str(config), str(checkpoint), roots


def test_table_of_several_domains(setup, capsys):
    tmp_path, config, checkpoint, roots = setup
    out = tmp_path / 'out'
    assert test_domains.main([
        config, checkpoint, '--domains', 'cityscapes', 'acdc', 'darkzurich', 'bdd100k',
        'mapillary', '--data-root', *roots, '--class-subsets', 'synthia', '--out-dir', str(out),
        '--work-dir', str(tmp_path / 'work')]) == 0
    document = json.loads((out / 'test_domains.json').read_text())
    rows = {row['domain']: row for row in document['domains']}
    assert rows['cityscapes']['mIoU'] == 37.5 and rows['cityscapes']['images'] == 2
    assert (rows['cityscapes']['mIoU16'], rows['cityscapes']['mIoU13']) == (37.5, 37.5)
    assert rows['acdc']['mIoU'] == 33.33 and rows['acdc']['images'] == 2
    assert (rows['acdc']['mIoU16'], rows['acdc']['mIoU13']) == (33.33, 66.67)
    assert document['mean'] == {'mIoU': round((37.5 + 33.33) / 2, 2),
                                'mIoU16': round((37.5 + 33.33) / 2, 2),
                                'mIoU13': round((37.5 + 66.67) / 2, 2)}
    assert document['evaluated'] == ['cityscapes', 'acdc']
    assert document['skipped'] == {
        'darkzurich': str(tmp_path / 'dz' / 'rgb_anon/val/night'),
        'bdd100k': str(tmp_path / 'bdd' / 'images/10k/val'),
        'mapillary': str(tmp_path / 'mapillary' / 'validation/images')}
    markdown = (out / 'test_domains.md').read_text()
    assert '| cityscapes | 37.50 | 37.50 | 37.50 | 2 | evaluated |' in markdown
    assert f'| darkzurich | - | - | - | - | skipped: not found {tmp_path / "dz"}' in markdown
    printed = capsys.readouterr().out
    assert '| acdc | 33.33 | 33.33 | 66.67 | 2 | evaluated |' in printed
    looked_for = tmp_path / 'mapillary' / 'validation/images'
    assert f'mapillary: skipped, {looked_for} not found' in printed


def test_only_absent_domains_and_no_subsets(setup):
    tmp_path, config, checkpoint, roots = setup
    out = tmp_path / 'out2'
    assert test_domains.main([config, checkpoint, '--domains', 'bdd100k', '--data-root', *roots,
                              '--out-dir', str(out)]) == 0
    document = json.loads((out / 'test_domains.json').read_text())
    assert document['evaluated'] == [] and list(document['skipped']) == ['bdd100k']
    assert '| mIoU16 |' not in (out / 'test_domains.md').read_text()


def test_unknown_domain_and_bad_root_are_named(setup):
    _, config, checkpoint, _ = setup
    with pytest.raises(ValueError, match=r"unknown domain\(s\) \['gta'\]; known: \['acdc'"):
        test_domains.main([config, checkpoint, '--domains', 'gta'])
    with pytest.raises(ValueError, match=r"--data-root 'acdc': expected NAME=PATH"):
        test_domains.main([config, checkpoint, '--data-root', 'acdc'])
    with pytest.raises(FileNotFoundError, match='checkpoint nowhere.pth not found'):
        test_domains.main([config, 'nowhere.pth'])


def test_multi_domain_validation_during_training(setup):
    """MultiDomainValLoop: the main set as usual, each extra domain under its prefix."""
    from mmengine.config import Config
    from mmengine.runner import Runner

    tmp_path, config, checkpoint, _ = setup
    cfg = Config.fromfile(config)
    pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
                dict(type='PackSegInputs')]
    cfg.val_dataloader = dict(
        batch_size=1, num_workers=0, persistent_workers=False,
        sampler=dict(type='DefaultSampler', shuffle=False),
        dataset=dict(type='CityscapesDataset', data_root=str(tmp_path / 'cs'),
                     data_prefix=dict(img_path='leftImg8bit/val', seg_map_path='gtFine/val'),
                     pipeline=pipeline))
    cfg.val_evaluator = dict(type='UDAIoUMetric', class_subsets='synthia')
    cfg.val_cfg = dict(type='MultiDomainValLoop', domains=dict(
        acdc=dict(dataset=dict(type='ACDCDataset', data_root=str(tmp_path / 'acdc'),
                               split='val', pipeline=pipeline)),
        darkzurich=dict(dataset=dict(  # absent: skipped with a warning, training goes on
            type='DarkZurichDataset', data_root=str(tmp_path / 'dz'),
            data_prefix=dict(img_path='rgb_anon/val/night', seg_map_path='gt/val/night'),
            pipeline=pipeline))))
    cfg.load_from = checkpoint
    cfg.work_dir = str(tmp_path / 'work_val')
    runner = Runner.from_cfg(cfg)
    metrics = runner.val()
    assert metrics['mIoU'] == 37.5 and metrics['mIoU13'] == 37.5  # the main set (Cityscapes)
    assert round(float(metrics['acdc/mIoU']), 2) == 33.33 and metrics['acdc/mIoU13'] == 66.67
    assert metrics['mean/mIoU'] == round((37.5 + float(metrics['acdc/mIoU'])) / 2, 2)
    assert not any(k.startswith('darkzurich/') for k in metrics)
