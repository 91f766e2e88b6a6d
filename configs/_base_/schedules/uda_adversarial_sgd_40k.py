# Adversarial UDA, DAFormer-family schedule (40k iterations, 2 source + 2 target per step):
# - segmentor ('segmentor' = model.student): SGD lr 2.5e-3, momentum 0.9, weight decay 5e-4,
#   heads x10 (ADVENT's classifier multiplier), linear warm-up over 1500 iterations from
#   1e-6, then poly power 1.0 to 0;
# - discriminators ('discriminator' = model.discriminators): Adam lr 1e-4, betas (0.9, 0.99),
#   poly power 0.9 over the run (the originals' adjust_learning_rate_D).
# Both wrappers skip non-finite steps; tools/train.py --amp switches both to AMP. Each
# optimizer's state and schedulers are saved in checkpoints (resume continues them).
_base_ = ['./iter_based.py']
max_iters = 40000
warmup_iters = 1500
# One wrapper per submodule instead of iter_based.py's single one (replaced, not merged).
optim_wrapper = dict(
    _delete_=True,
    constructor='SubmoduleOptimWrapperConstructor',
    segmentor=dict(
        module='student',
        type='NonFiniteSkipOptimWrapper',
        optimizer=dict(type='SGD', lr=2.5e-3, momentum=0.9, weight_decay=5e-4),
        paramwise_cfg=dict(custom_keys={
            'decode_head': dict(lr_mult=10.0),
            'auxiliary_head': dict(lr_mult=10.0)
        })),
    discriminator=dict(
        module='discriminators',
        type='NonFiniteSkipOptimWrapper',
        optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0)))
param_scheduler = dict(
    segmentor=[
        dict(type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0, end=warmup_iters),
        dict(type='PolyLR', eta_min=0.0, power=1.0, by_epoch=False, begin=warmup_iters,
             end=max_iters),
    ],
    discriminator=[
        dict(type='PolyLR', eta_min=0.0, power=0.9, by_epoch=False, begin=0, end=max_iters),
    ])
