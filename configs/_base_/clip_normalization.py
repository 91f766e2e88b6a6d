# CLIP's input normalisation (0-255, RGB; OpenAI CLIP and EVA02-CLIP alike), the one place
# the CLIP and EVA02 encoder bases take it from (mmseg_semivl's CLIP_MEAN / CLIP_STD).
clip_mean = [122.771, 116.746, 104.094]
clip_std = [68.501, 66.632, 70.323]
