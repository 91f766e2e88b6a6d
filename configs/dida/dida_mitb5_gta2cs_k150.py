_base_ = './dida_mitb5_gta2cs.py'  # bank-size ablation (supplement Table 3)
model = dict(instance_bank=dict(num_entries=150))
