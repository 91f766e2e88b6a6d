# SYNTHIA -> Cityscapes, DAFormer's data path: as GTA5 -> Cityscapes with the source
# resized to 1280 x 760. The model keeps 19 classes; validation reports mIoU (19) and, as
# the literature does, mIoU16 and mIoU13 (UDAIoUMetric class_subsets='synthia').
_base_ = ['./uda_gta_to_cityscapes.py']
# After `_base_`, so that MMEngine still reads this file as a text config.
from mmseg_semivl.datasets.pipelines import uda_pipelines  # noqa: E402

source_pipeline = uda_pipelines(
    (512, 512), source_scale=(1280, 760), target_scale=None, num_classes=19)[0]
source_dataset = dict(type='SynthiaDataset', data_root='data/synthia', pipeline=source_pipeline)
train_dataloader = dict(dataset=dict(datasets=[source_dataset, _base_.target_dataset]))
val_evaluator = test_evaluator = dict(class_subsets='synthia')
