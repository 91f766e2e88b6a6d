# The domains of tools/test_domains.py (seed 001's generalisation table): each entry is a
# labeled dataset with its test pipeline (whole image). Roots follow MMSeg's
# dataset_prepare layout; override one with `--data-root NAME=PATH` or by redefining
# `test_domains` in a config that inherits this file.
def _pipeline(scale):
    return [
        dict(type='LoadImageFromFile'),
        dict(type='Resize', scale=scale, keep_ratio=True),
        dict(type='LoadAnnotations'),
        dict(type='PackSegInputs'),
    ]


test_domains = dict(
    cityscapes=dict(
        type='CityscapesDataset', data_root='data/cityscapes',
        data_prefix=dict(img_path='leftImg8bit/val', seg_map_path='gtFine/val'),
        pipeline=_pipeline((1024, 512))),
    acdc=dict(
        type='ACDCDataset', data_root='data/acdc', conditions='all', split='val',
        pipeline=_pipeline((960, 540))),
    darkzurich=dict(
        type='DarkZurichDataset', data_root='data/dark_zurich',
        data_prefix=dict(img_path='rgb_anon/val/night', seg_map_path='gt/val/night'),
        pipeline=_pipeline((960, 540))),
    bdd100k=dict(
        type='BDD100KDataset', data_root='data/bdd100k',
        data_prefix=dict(img_path='images/10k/val', seg_map_path='labels/sem_seg/masks/val'),
        pipeline=_pipeline((1024, 512))),
    mapillary=dict(
        type='MapillaryCityscapesDataset', data_root='data/mapillary',
        data_prefix=dict(img_path='validation/images', seg_map_path='validation/labels'),
        pipeline=_pipeline((1024, 512))),
)
