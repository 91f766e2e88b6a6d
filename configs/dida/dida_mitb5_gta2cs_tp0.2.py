_base_ = './dida_mitb5_gta2cs.py'  # temperature ablation (supplement Table 1)
model = dict(temperature=0.2)
