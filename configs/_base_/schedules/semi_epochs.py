# The SemiVL / UniMatch schedule shared by the four benchmark families: SemiVL's AdamW
# with poly(0.9) decay to 0 and no warm-up (adamw_poly.py), its length in EPOCHS over the
# unlabeled set (paper Sec. 4.1). An epoch is one pass over the unlabeled split with the
# total unlabeled batch of all GPUs (8 in the papers), so the length in iterations depends
# on the split and the GPU layout: `SourceEpochTrainLoop` computes
#     max_iters = max_epochs x ceil(len(unlabeled split) / (unlabeled per GPU x GPUs))
# when the run starts (mmseg_semivl/engine/runner/epoch_length.py, tested against the
# papers' numbers), and MMEngine ends adamw_poly.py's scheduler (no `end`) there. The family
# schedules (voc_80ep.py, ...) set max_epochs, the learning rates and the interval.
_base_ = ['./adamw_poly.py']
val_interval = 8000  # also the checkpoint interval
train_cfg = dict(_delete_=True, type='SourceEpochTrainLoop', max_epochs=80, epoch_source=1,
                 val_interval=val_interval)
default_hooks = dict(checkpoint=dict(interval=val_interval))
