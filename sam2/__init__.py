"""vfx's own SAM 2 / SAM 2.1: checkpoint-compatible model, image predictor and video predictor.

Entry points match the official package: ``sam2.build_sam.build_sam2``,
``sam2.build_sam.build_sam2_video_predictor`` and ``sam2.sam2_image_predictor.SAM2ImagePredictor``.
"""
