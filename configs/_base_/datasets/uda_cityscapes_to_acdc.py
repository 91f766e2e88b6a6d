# Cityscapes -> ACDC (all four conditions), DAFormer's data path: labeled Cityscapes
# train resized to 1024 x 512 (source, 512 crops with cat_max_ratio=0.75), unlabeled ACDC
# train (fog, night, rain, snow: 1,600 images) resized to 960 x 540 (target); validation
# on ACDC val (406 images) at 960 x 540. The published numbers are on ACDC test (server).
_base_ = ['./uda_gta_to_cityscapes.py']
# After `_base_`, so that MMEngine still reads this file as a text config.
from mmseg_semivl.datasets.pipelines import uda_pipelines  # noqa: E402

# No pseudo-label crop on ACDC (and Dark Zurich): DAFormer's margins are Cityscapes'.
target_pseudo_label_crop = dict(pseudo_weight_ignore_top=0, pseudo_weight_ignore_bottom=0)
source_pipeline, target_pipeline, test_pipeline = uda_pipelines(
    (512, 512), source_scale=(1024, 512), target_scale=(960, 540), test_scale=(960, 540),
    num_classes=19)
source_dataset = dict(type='CityscapesDataset', data_root='data/cityscapes',
                      data_prefix=dict(img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
                      pipeline=source_pipeline)
# Rare-class statistics of Cityscapes train: prepare_cityscapes.py writes them.
# Every key of the base's target_dataset is set here (config merging keeps the others).
target_dataset = dict(type='ACDCDataset', data_root='data/acdc',
                      data_prefix=dict(img_path='rgb_anon', seg_map_path='gt'), conditions='all',
                      split='train', with_labels=False, pipeline=target_pipeline)
train_dataloader = dict(dataset=dict(datasets=[source_dataset, target_dataset]))
val_dataloader = test_dataloader = dict(dataset=dict(
    _delete_=True, type='ACDCDataset', data_root='data/acdc', conditions='all', split='val',
    pipeline=test_pipeline))
