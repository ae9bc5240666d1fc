"""Training and evaluation: splits, BPR training, full-ranking metrics, reports."""
