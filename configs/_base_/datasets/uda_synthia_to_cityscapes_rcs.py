# SYNTHIA -> Cityscapes with rare-class sampling on the source (statistics written by
# prepare_synthia.py into data/synthia).
_base_ = ['./uda_synthia_to_cityscapes.py']
train_dataloader = dict(sampler=dict(type='RareClassMultiSourceSampler', rcs_source=0),
                        dataset=dict(rare_class_sampling=_base_.rcs_cfg))
