"""Runs INSIDE .venv-reference (the official sam2==1.1.0). Our tests import only
:func:`describe_signatures` (to describe our API the same way) and :func:`sam_head_outputs`
(to make the same head calls on our model) from it.

Usage: python -P reference_worker.py REQUESTS.pt RESPONSES.pt
Reads ``{"requests": [...]}`` (torch.save), answers each request with the handler named by its
``"kind"``, and writes ``{"responses": [...]}``. Tensors travel as tensors; the worker converts
them to numpy where the official API wants numpy, and numpy results back to tensors.
Add a request kind by writing ``def handle_<kind>(request) -> object`` below.
"""

import sys
import time

import numpy as np
import torch


def to_numpy(value):
    if isinstance(value, torch.Tensor):
        return value.numpy()
    if isinstance(value, list):
        return [to_numpy(v) for v in value]
    if isinstance(value, dict):
        return {k: to_numpy(v) for k, v in value.items()}
    return value


def to_tensors(value):
    if isinstance(value, np.ndarray):
        return torch.from_numpy(np.ascontiguousarray(value))
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if isinstance(value, (list, tuple)):
        return [to_tensors(v) for v in value]
    if isinstance(value, dict):
        return {k: to_tensors(v) for k, v in value.items()}
    return value


def build_model(request, builder_name="build_sam2"):
    """The official model for ``config_file`` + ``overrides`` with the request's state dict."""
    from sam2 import build_sam

    builder = getattr(build_sam, builder_name)
    model = builder(
        request["config_file"],
        ckpt_path=None,
        device="cpu",
        hydra_overrides_extra=list(request.get("overrides", [])),
        apply_postprocessing=request.get("apply_postprocessing", True),
    )
    model.load_state_dict(request["state_dict"], strict=True)
    return model.eval()


def handle_image_predictor(request):
    """Replay ``calls`` ({"method", "args", "kwargs"}) on an official SAM2ImagePredictor.

    Pseudo-method ``"features"`` returns the predictor's cached image features.
    """
    from sam2.sam2_image_predictor import SAM2ImagePredictor

    predictor = SAM2ImagePredictor(build_model(request), **request.get("predictor_kwargs", {}))
    results = []
    with torch.inference_mode():
        for call in request["calls"]:
            if call["method"] == "features":
                results.append(to_tensors(predictor._features))
                continue
            method = getattr(predictor, call["method"])
            output = method(*to_numpy(call.get("args", [])), **to_numpy(call.get("kwargs", {})))
            results.append(to_tensors(output))
    return results


def handle_sam_heads(request):
    """``_forward_sam_heads`` / ``_use_mask_as_output`` on first-frame features of ``image``.

    Each call: ``{"method", "point_inputs", "mask_inputs", "multimask_output"}``; returns the
    7-tuple as a list.
    """
    model = build_model(request)
    return [to_tensors(output) for output in sam_head_outputs(model, request["image"],
                                                              request["calls"])]


def sam_head_outputs(model, image, calls):
    """Each call of ``calls`` (see :func:`handle_sam_heads`) run on ``model``'s first-frame
    features of ``image`` ``[1, 3, 1024, 1024]``: a list of output lists. Shared with our side
    (tests/sam2/test_image_parity.py), so both models see the same calls."""
    results = []
    with torch.inference_mode():
        backbone_out = model.forward_image(image)
        _, feats, _, sizes = model._prepare_backbone_features(backbone_out)
        batch, channels = feats[-1].size(1), model.hidden_dim
        pix_feat = (feats[-1] + model.no_mem_embed).permute(1, 2, 0)  # [HW, B, C] -> [B, C, HW]
        pix_feat = pix_feat.reshape(batch, channels, *sizes[-1])
        high_res = [
            x.permute(1, 2, 0).reshape(batch, x.size(2), *size)  # [HW, B, C] -> [B, C, H, W]
            for x, size in zip(feats[:-1], sizes[:-1], strict=True)
        ]
        for call in calls:
            if call["method"] == "_use_mask_as_output":
                output = model._use_mask_as_output(pix_feat, high_res, call["mask_inputs"])
            else:
                output = model._forward_sam_heads(
                    pix_feat,
                    point_inputs=call.get("point_inputs"),
                    mask_inputs=call.get("mask_inputs"),
                    high_res_features=high_res,
                    multimask_output=call.get("multimask_output", False),
                )
            results.append(list(output))
    return results


def handle_image_encoder_timing(request):
    """Time ``model.forward_image`` on a fixed input; returns times (s), the last output and the
    reference's torch version."""
    torch.set_num_threads(request.get("threads", torch.get_num_threads()))
    model = build_model(request)
    image = request["image"]
    times = []
    with torch.inference_mode():
        for _ in range(request.get("warmup", 1)):
            model.forward_image(image)
        for _ in range(request["repeats"]):
            start = time.perf_counter()
            out = model.forward_image(image)
            times.append(time.perf_counter() - start)
    return {
        "times": times,
        "backbone_fpn": to_tensors(out["backbone_fpn"]),
        "torch": str(torch.__version__),
    }


def describe_signatures(targets):
    """``{"module:Name": {"method": [[param, kind, default], ...]}}`` for classes (their public
    methods and ``__init__``, as defined on the class itself) and ``{"module:name": {"": [...]}}``
    for functions. Defaults are plain data (strings, numbers, lists) or ``"<repr>"`` text;
    ``"<empty>"`` marks a parameter without one. Shared with our side of the comparison."""
    import importlib
    import inspect

    def params(function):
        out = []
        for p in inspect.signature(function).parameters.values():
            default = p.default
            if default is inspect.Parameter.empty:
                default = "<empty>"
            elif isinstance(default, tuple):
                default = list(default)
            elif not isinstance(default, (str, int, float, bool, list, type(None))):
                default = f"<{default!r}>"
            out.append([p.name, p.kind.name, default])
        return out

    described = {}
    for target in targets:
        module_name, name = target.split(":")
        obj = getattr(importlib.import_module(module_name), name)
        if not inspect.isclass(obj):
            described[target] = {"": params(obj)}
            continue
        methods = {}
        for attr, value in vars(obj).items():
            if attr.startswith("_") and attr != "__init__":
                continue
            function = value.__func__ if isinstance(value, (classmethod, staticmethod)) else value
            if inspect.isfunction(function):
                methods[attr] = params(function)
        described[target] = methods
    return described


def handle_signatures(request):
    """Signatures of the official public API (see :func:`describe_signatures`)."""
    return describe_signatures(request["targets"])


def handle_versions(request):
    """The reference env's torch and sam2 versions."""
    from importlib.metadata import version

    return {"torch": str(torch.__version__), "sam2": version("sam2")}


def install_connected_components(opencv_dir):
    """Stand in for the official CUDA extension ``sam2._C`` (absent on CPU, where the official
    predictor then skips hole and speck removal) with OpenCV's 8-connected components, imported
    from ``opencv_dir`` (a folder holding only the ``cv2`` package), so ``min_mask_region_area``
    does something on both sides."""
    import types

    sys.path.append(opencv_dir)
    import cv2

    def get_connected_componnets(mask):  # the official spelling
        planes = mask.numpy().reshape(-1, *mask.shape[-2:])  # [N, 1, H, W] -> [N, H, W]
        labels, counts = np.zeros(planes.shape, np.int32), np.zeros(planes.shape, np.int32)
        for index, plane in enumerate(planes):
            _, label, stats, _ = cv2.connectedComponentsWithStats(plane, connectivity=8)
            areas = stats[:, cv2.CC_STAT_AREA].astype(np.int32)
            areas[0] = 0
            labels[index], counts[index] = label, areas[label]
        shape = mask.shape
        return torch.from_numpy(labels).view(shape), torch.from_numpy(counts).view(shape)

    import sam2

    module = types.ModuleType("sam2._C")
    module.get_connected_componnets = get_connected_componnets
    sys.modules["sam2._C"] = module
    sam2._C = module


def handle_automatic_masks(request):
    """``SAM2AutomaticMaskGenerator(model, **generator_kwargs).generate(image)`` for each image
    in ``images``; returns one list of records per image. ``opencv_dir`` installs the stand-in
    for the CUDA extension (see :func:`install_connected_components`)."""
    from sam2.automatic_mask_generator import SAM2AutomaticMaskGenerator

    if request.get("opencv_dir"):
        install_connected_components(request["opencv_dir"])
    generator = SAM2AutomaticMaskGenerator(build_model(request), **request["generator_kwargs"])
    return [to_tensors(generator.generate(to_numpy(image))) for image in request["images"]]


def handle_automatic_masks_timing(request):
    """Time ``generate(image)`` ``repeats`` times (after ``warmup`` calls); returns the times (s),
    the number of masks, this process's peak RSS (KiB) and the reference's torch version."""
    import resource

    from sam2.automatic_mask_generator import SAM2AutomaticMaskGenerator

    torch.set_num_threads(request.get("threads", torch.get_num_threads()))
    generator = SAM2AutomaticMaskGenerator(build_model(request), **request["generator_kwargs"])
    image = to_numpy(request["image"])
    for _ in range(request.get("warmup", 0)):
        generator.generate(image)
    times, count = [], 0
    for _ in range(request["repeats"]):
        start = time.perf_counter()
        count = len(generator.generate(image))
        times.append(time.perf_counter() - start)
    return {
        "times": times,
        "masks": count,
        "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "torch": str(torch.__version__),
    }


def main():
    source, target = sys.argv[1], sys.argv[2]
    requests = torch.load(source, weights_only=False)["requests"]
    responses = [globals()["handle_" + request["kind"]](request) for request in requests]
    torch.save({"responses": responses}, target)


if __name__ == "__main__":
    main()
