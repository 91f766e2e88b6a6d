# A user's own domain-adaptation data in plain folders (UDAFolderDataset):
#   <data_root>/classes.txt                 one class name per line (line 1 = label 0)
#   <data_root>/source/images, source/labels           labeled source
#   <data_root>/target/images                          unlabeled target
#   <data_root>/target_val/images, target_val/labels   labeled target, for validation
# DAFormer-style pipelines: resize to 1024 x 512, 512 crops (source with
# cat_max_ratio=0.75), flips, padding to the crop; the target is packed without strong
# views (PackTargetInputs) for methods that augment on the GPU. A config for a method that
# wants its own target pipeline (e.g. SemiVL's strong views) sets the datasets again with
# it (configs/uda/custom_folder_example.py): an inherited list keeps this file's values.
_base_ = ['./two_stream_loaders.py']
# After `_base_`, so that MMEngine still reads this file as a text config.
from mmseg_semivl.datasets.pipelines import uda_pipelines  # noqa: E402

data_root = 'data/my_uda'
classes_file = 'classes.txt'
num_classes = 19  # must equal the number of lines of classes.txt (checked at start)
crop_size = (512, 512)
source_pipeline, target_pipeline, test_pipeline = uda_pipelines(
    crop_size, source_scale=(1024, 512), target_scale=(1024, 512), test_scale=(1024, 512),
    num_classes=num_classes, pad=True)
_uda_folder = dict(type='UDAFolderDataset', data_root=data_root, classes_file=classes_file,
                   num_classes=num_classes)
source_dataset = dict(_uda_folder, part='source', pipeline=source_pipeline)
target_dataset = dict(_uda_folder, part='target', pipeline=target_pipeline)
train_dataloader = dict(
    num_workers=2,
    dataset=dict(type='UDAConcatDataset', datasets=[source_dataset, target_dataset]))
val_dataloader = test_dataloader = dict(
    dataset=dict(_uda_folder, part='target_val', pipeline=test_pipeline))
val_evaluator = test_evaluator = dict(type='UDAIoUMetric', per_class=True)
