# All vision-language switches of an EVA02-CLIP-L/14 leaf of configs/uda_vl/ (issue 21),
# as variables, and the multi-domain evaluation: `test_domains` (tools/test_domains.py),
# `vl_guidance_model` (EVA02-CLIP-L/14 itself as the frozen guidance, one embedding space
# with the student), `vl_clip_guidance`, `vl_fd` and `vl_lg_student` (EVA02 with the
# language-guided decoder). What each is and why: its own file. A leaf inherits its
# configs/uda cell and this file and merges the switches it turns on into the cell's model
# (tools/make_uda_vl_configs.py).
_base_ = ['../datasets/uda_test_domains.py', './guidance_model_eva02-l14.py',
          './clip_guidance.py', './vl_fd.py', './lg_eva02-l14.py']
