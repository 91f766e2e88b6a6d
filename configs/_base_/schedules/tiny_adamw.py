# The miniature runs' optimisation (tiny CLIPs at 64-128 px on a CPU: the tiny demo, the
# learning benchmark): SemiVL's AdamW + poly(0.9) (adamw_poly.py) at lr 1e-3, the decoder
# at the base rate (a tiny head trained from scratch needs no x10); the encoder's
# multiplier is the config's own. Checkpoints: the last one only, no best-mIoU copy.
_base_ = ['./adamw_poly.py']
optimizer = dict(lr=1e-3)
optim_wrapper = dict(optimizer=optimizer,
                     paramwise_cfg=dict(custom_keys=dict(decode_head=dict(lr_mult=1.0))))
default_hooks = dict(checkpoint=dict(save_best=None, max_keep_ckpts=1))
