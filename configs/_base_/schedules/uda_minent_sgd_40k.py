# MinEnt's schedule: the adversarial family's (uda_adversarial_sgd_40k.py: segmentor SGD
# 2.5e-3, heads x10, linear warm-up over 1500 iterations, then poly 1.0) without the
# discriminators' optimizer, since MinEnt trains no discriminator (an entry set to None is
# dropped by SubmoduleOptimWrapperConstructor).
_base_ = ['./uda_adversarial_sgd_40k.py']
optim_wrapper = dict(discriminator=None)
