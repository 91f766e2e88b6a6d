# ADVENT (MinEnt), CLIP ViT-B/16 (OpenAI) + DAFormer head, GTA5 -> Cityscapes:
# 40k iterations, DAFormer-family schedule (segmentor SGD 2.5e-3 with warm-up + poly; no
# discriminator, so no discriminator optimizer).
#   python tools/train.py configs/uda/minent_clip-vitb16_gta2cs.py
_base_ = [
    '../_base_/uda/minent.py', '../_base_/uda/encoders/clip-vitb16.py',
    '../_base_/datasets/uda_gta_to_cityscapes.py',
    '../_base_/schedules/uda_minent_sgd_40k.py'
]
model = dict(student=_base_.student, data_preprocessor=_base_.data_preprocessor)
