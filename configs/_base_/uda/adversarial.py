# What the adversarial family (AdaptSegNet, ADVENT's AdvEnt and MinEnt) shares: the UDA
# runtime, DDP through the segmentor's own train_step (both passes synchronised) and the
# hooks (the SemiVL visualisation hook draws pseudo-labels and CLIP guidance, which these
# methods do not have). Leaf configs add the student (an encoder base), the data pair and
# an adversarial schedule (two optimizers).
_base_ = ['./runtime.py']
model_wrapper_cfg = dict(type='AdversarialDistributedDataParallel')
# PlainCheckpointStateHook: checkpoints that torch's weights_only loader reads (resume).
custom_hooks = [dict(type='ExactResumeHook'), dict(type='CheckpointCompatibilityHook'),
                dict(type='PlainCheckpointStateHook'), dict(type='SetupCheckHook')]
