"""LearningLoss++ for pose estimation in plain PyTorch (never imports Django)."""
