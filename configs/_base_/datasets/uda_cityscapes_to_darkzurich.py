# Cityscapes -> Dark Zurich (night), DAFormer's data path: the Cityscapes source half of
# uda_cityscapes_to_acdc.py (labeled train at 1024 x 512, 512 crops with
# cat_max_ratio=0.75) and the 2,416 unlabeled Dark Zurich night training images at
# 960 x 540 (target); validation on the 50 labeled Dark Zurich val images at 960 x 540
# (the published numbers are on Dark Zurich test, server).
_base_ = ['./uda_cityscapes_to_acdc.py']
target_root = 'data/dark_zurich'
dark_zurich_train = dict(type='UnlabeledDarkZurichDataset', data_root=target_root,
                         data_prefix=dict(img_path='rgb_anon/train/night'),
                         pipeline=_base_.target_pipeline)
# Replaces the base's ACDC target (also for configs that read _base_.target_dataset).
target_dataset = dict(_delete_=True, **dark_zurich_train)
train_dataloader = dict(dataset=dict(datasets=[_base_.source_dataset, dark_zurich_train]))
val_dataloader = dict(dataset=dict(
    _delete_=True, type='DarkZurichDataset', data_root=target_root,
    data_prefix=dict(img_path='rgb_anon/val/night', seg_map_path='gt/val/night'),
    pipeline=_base_.test_pipeline))
test_dataloader = val_dataloader
