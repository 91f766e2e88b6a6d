# ADVENT's AdvEnt (Vu et al. 2019) = AdaptSegNet's set-up (discriminators, lambda_adv main
# 0.001 / aux 0.0002, vanilla GAN, source label 0, target 1) with the discriminators on the
# weighted self-information maps -p log2 p / log2 C of the upsampled logits. No direct
# entropy term (lambda_ent=None; MinEnt is minent.py).
_base_ = ['./adaptsegnet.py']
model = dict(type='AdvEnt', lambda_ent=None)
