# SemiVL on Pascal VOC, 92 labeled images, on 4 GPUs: 2 labeled + 2 unlabeled per GPU
# keep the paper's total batch of 8 + 8, so schedule and results are those of voc_92.py
# (8 GPUs x (1 + 1)). Any config can be run like this with
#   --cfg-options train_dataloader.batch_size=4 train_dataloader.sampler.batch_size=4
# (per-GPU batch = 2 x 8 / number of GPUs; the sampler splits it 1:1).
_base_ = ['./voc_92.py']
samples_per_gpu = 4
train_dataloader = dict(batch_size=samples_per_gpu, sampler=dict(batch_size=samples_per_gpu))
