# The originals' schedule (AdaptSegNet / ADVENT code): segmentor SGD lr 2.5e-4, momentum 0.9,
# weight decay 5e-4, heads x10, poly 0.9 computed over 250k iterations but stopped early at
# 120k (ADVENT's EARLY_STOP); discriminators Adam 1e-4, betas (0.9, 0.99), poly 0.9 over
# 250k. The originals train one source + one target image per step (set samples_per_gpu=2).
_base_ = ['./uda_adversarial_sgd_40k.py']
max_iters = 120000
schedule_iters = 250000
optim_wrapper = dict(segmentor=dict(optimizer=dict(lr=2.5e-4)))
param_scheduler = dict(
    _delete_=True,
    segmentor=[dict(type='PolyLR', eta_min=0.0, power=0.9, by_epoch=False, begin=0,
                    end=schedule_iters)],
    discriminator=[dict(type='PolyLR', eta_min=0.0, power=0.9, by_epoch=False, begin=0,
                        end=schedule_iters)])
train_cfg = dict(max_iters=max_iters)
