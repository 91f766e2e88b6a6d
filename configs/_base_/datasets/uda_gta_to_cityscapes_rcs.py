# GTA5 -> Cityscapes with rare-class sampling on the source stream (DAFormer's full data
# path): the source is wrapped in RareClassSamplingDataset (statistics written by
# prepare_gta.py into data/gta) and drawn class-first by RareClassMultiSourceSampler.
_base_ = ['./uda_gta_to_cityscapes.py']
train_dataloader = dict(sampler=dict(type='RareClassMultiSourceSampler', rcs_source=0),
                        dataset=dict(rare_class_sampling=_base_.rcs_cfg))
