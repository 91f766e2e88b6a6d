# Cityscapes -> ACDC with rare-class sampling on the source (DAFormer's data path;
# statistics of Cityscapes train written by prepare_cityscapes.py into data/cityscapes).
_base_ = ['./uda_cityscapes_to_acdc.py']
train_dataloader = dict(sampler=dict(type='RareClassMultiSourceSampler', rcs_source=0),
                        dataset=dict(rare_class_sampling=_base_.rcs_cfg))
