# ADVENT's MinEnt: direct entropy minimisation on the target, lambda_ent main 0.001 /
# aux 0.0002; no discriminator, so its leaves take the schedule without a discriminator
# optimizer (schedules/uda_minent_sgd_40k.py).
_base_ = ['./adversarial.py']
model = dict(type='MinEnt', lambda_ent=dict(main=0.001, aux=0.0002), upsample_to_input=True)
