# GTA5 -> Cityscapes, DAFormer's data path (unsupervised domain adaptation):
# - two streams per batch through MultiSourceSampler over ConcatDataset(source, target):
#   labeled GTA5 (source) and unlabeled Cityscapes train (target), 1:1 (DAFormer: 2 + 2
#   on one GPU);
# - source: resize to 1280 x 720 (keep ratio), 512 x 512 crop with cat_max_ratio=0.75,
#   flip; target: resize to 1024 x 512, 512 crop, flip. Photometric augmentation (colour
#   jitter, blur) and mixing belong to the method (done on the GPU), not to the pipelines;
# - validation on the 500 Cityscapes val images, whole image at 1024 x 512.
# Method configs inherit this file; `uda_gta_to_cityscapes_rcs.py` adds rare-class
# sampling. Prepare the data with tools/dataset_converters/prepare_gta.py and
# prepare_cityscapes.py (docs/data_preparation.md, "Domain adaptation").
_base_ = ['./two_stream_loaders.py']
# After `_base_`, so that MMEngine still reads this file as a text config.
from mmseg_semivl.datasets.pipelines import uda_pipelines  # noqa: E402

num_classes = 19
crop_size = (512, 512)
samples_per_gpu = 4  # 2 source + 2 target, DAFormer's batch on one GPU
# Rare-class sampling (DAFormer): softmax((1 - f_c) / T), files with > 3000 px of the
# class, re-crops until > 3000 x 0.5 px of it are in the crop (10 tries at most).
rcs_cfg = dict(temperature=0.01, min_pixels=3000, min_crop_ratio=0.5, max_crop_attempts=10)
# DAFormer's pseudo-label crop for a Cityscapes target: the top 15 and bottom 120 rows
# of a 512 crop (sky border, ego car) get pseudo-label weight 0 (its 'croppl' configs).
# The methods that use it (DAFormer, DIDA, DUDA's heavy pair) merge it into their model.
target_pseudo_label_crop = dict(pseudo_weight_ignore_top=15, pseudo_weight_ignore_bottom=120)
source_pipeline, target_pipeline, test_pipeline = uda_pipelines(
    crop_size, source_scale=(1280, 720), target_scale=(1024, 512), test_scale=(1024, 512),
    num_classes=num_classes)
source_dataset = dict(type='GTADataset', data_root='data/gta', pipeline=source_pipeline)
target_dataset = dict(type='UnlabeledCityscapesDataset', data_root='data/cityscapes',
                      data_prefix=dict(img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
                      pipeline=target_pipeline)
train_dataloader = dict(
    batch_size=samples_per_gpu, sampler=dict(batch_size=samples_per_gpu),
    dataset=dict(type='UDAConcatDataset', datasets=[source_dataset, target_dataset]))
val_dataloader = test_dataloader = dict(dataset=dict(
    type='CityscapesDataset', data_root='data/cityscapes',
    data_prefix=dict(img_path='leftImg8bit/val', seg_map_path='gtFine/val'),
    pipeline=test_pipeline))
val_evaluator = test_evaluator = dict(type='UDAIoUMetric')
