# DUDA with a vision-language heavy pair (issue 21; DUDA names VL guidance as future work):
# the heavy student and its EMA teacher are EVA02-CLIP-L/14 with SemiVL's language-guided
# decoder (Cityscapes class definitions), self-trained by DAFormer + dense CLIP guidance on
# the target (lambda_0 0.1, zeta 0.9; the guidance CLIP is EVA02-CLIP-L/14 itself, as for
# every EVA02 student in configs/uda_vl/) with the ImageNet FD toward the initial EVA02 weights;
# the deployed light MiT-B0 / DAFormer head learns from that pair through DUDA's gradual
# distillation, inconsistency loss and two-teacher ensemble. GTA5 -> Cityscapes, 40k
# iterations, batch 2 + 2, bf16. The plain counterpart: configs/duda/duda_mitb5-mitb0_gta2cs.py.
# All networks share EVA02-CLIP's input normalisation (set here over MiT-B0's base);
# MiT-B0's ImageNet statistics differ by < 20 % in std. Not run (no GPU / no data).
_base_ = [
    '../_base_/uda/duda.py', '../_base_/uda/heavy/eva02-l14-lg.py',
    '../_base_/uda/encoders/mitb0.py', '../_base_/datasets/uda_gta_to_cityscapes_rcs.py',
    '../_base_/schedules/uda_40k_bf16.py', '../_base_/uda_vl/eva02-l14.py',
    '../_base_/clip_normalization.py'
]
data_preprocessor = dict(_base_.data_preprocessor, mean=_base_.clip_mean, std=_base_.clip_std)
model = dict(student=_base_.student, heavy=_base_.heavy_student,
             data_preprocessor=data_preprocessor,
             heavy_method=dict(guidance=_base_.vl_guidance_model, **_base_.vl_clip_guidance,
                               feature_distance=dict(allow_non_imagenet=True),
                               **_base_.target_pseudo_label_crop))
