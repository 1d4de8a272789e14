"""``vfx batch``: run a manifest of jobs (or one preset over a glob of clips) locally or on Ray."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from vfx.cli.options import (
    file_option,
    force_option,
    mask_source_options,
    model_options,
    overrides_option,
    precision_option,
    prompt_options,
    quiet_option,
)
from vfx.errors import VfxError

if TYPE_CHECKING:
    from vfx.batch.runner import Executor

EXECUTORS = ("local", "ray")


@click.command()
@click.argument("manifest", metavar="MANIFEST|'GLOB'")
@click.option(
    "--executor",
    type=click.Choice(EXECUTORS),
    default="local",
    show_default=True,
    help="local: a process pool on this machine; ray: Ray tasks (local or a cluster).",
)
@click.option(
    "--ray-address",
    metavar="ADDR",
    help="Ray cluster (auto, HOST:6379 or ray://HOST:10001); default: a local Ray.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    metavar="N",
    help="local executor: worker processes (default: one per core).",
)
@click.option("--resume", is_flag=True, help="Skip jobs whose outputs exist; re-run the rest.")
@force_option("Overwrite outputs that exist.")
@click.option("--dry-run", is_flag=True, help="Check every job, print the plan, run nothing.")
@file_option(
    "--report",
    "report_path",
    path_type=Path,
    help="JSON report (default: MANIFEST's name + .report.json beside it).",
)
@quiet_option
@click.option(
    "-o",
    "--output",
    metavar="TEMPLATE",
    help="Quick form: output per clip, e.g. 'out/{stem}.mp4' ({stem}, {name}, {index}).",
)
@click.option("--preset", metavar="NAME|FILE", help="Quick form: the preset.")
@overrides_option
@prompt_options
@click.option("--auto", metavar="[FRAME:]MODE", help="Quick form: pick objects automatically.")
@mask_source_options
@click.option(
    "--chunk-frames",
    type=click.IntRange(min=1),
    metavar="N",
    help="Quick form: render from existing masks in chunks of N frames.",
)
@model_options
@precision_option
def batch(
    manifest: str,
    executor: str,
    ray_address: str | None,
    workers: int | None,
    resume: bool,
    force: bool,
    dry_run: bool,
    report_path: Path | None,
    quiet: bool,
    output: str | None,
    model: str | None,
    checkpoint: str | None,
    device: str,
    precision: str,
    **quick: object,
) -> None:
    """Run many jobs: a YAML/JSON MANIFEST, or one preset over the clips matching 'GLOB'.

    The quick form ('GLOB') takes the render options (--preset, --set, prompts, --masks,
    --chroma, model options) for every clip; -o, --masks and --prompts may name {stem},
    {name} and {index} of each clip.

    Every job is checked first; a job that fails its checks or its run is
    reported and the others go on. The exit code is 0 only when no job failed.

    \b
    Examples:
      vfx batch jobs.yaml --resume
      vfx batch jobs.yaml --executor ray --ray-address auto
      vfx batch 'clips/*.mp4' --preset background-blur --chroma green -o 'out/{stem}.mp4'
    """
    from vfx.batch import (
        default_report_path,
        exit_code,
        load_manifest,
        plan_jobs,
        quick_entries,
        run_batch,
    )

    source = Path(manifest)
    is_glob = any(c in manifest for c in "*?[")
    if source.suffix.lower() in (".yaml", ".yml", ".json") and not is_glob:
        if not source.is_file():
            raise VfxError(f"manifest {manifest} does not exist; check the path")
        parsed = load_manifest(source)
        report = report_path or default_report_path(source)
    else:
        options = {
            "preset": quick["preset"], "set": quick["overrides"], "point": quick["points"],
            "box": quick["boxes"], "prompts": quick["prompts_file"], "auto": quick["auto"],
            "masks": quick["masks_path"], "chroma": quick["chroma"],
            "chunk_frames": quick["chunk_frames"], "model": model, "checkpoint": checkpoint,
            "device": device, "precision": precision,
        }  # fmt: skip
        parsed = quick_entries(manifest, output, options)
        report = report_path or default_report_path(None)
    if dry_run:
        plans = plan_jobs(parsed, resume=resume, force=force)
        for plan in plans:
            click.echo(plan.describe())
        if any(plan.error for plan in plans):
            sys.exit(1)
        return
    runner = _executor(executor, ray_address, workers)
    # the workers start up while the jobs are checked (a chunked job may use them all)
    runner.start(sum(runner.slots if e.get("chunk_frames") else 1 for e in parsed.entries))
    try:
        plans = plan_jobs(parsed, resume=resume, force=force)
    except BaseException:
        runner.close()
        raise
    outcomes = run_batch(plans, runner, report=report, stream=None if quiet else sys.stderr)
    for outcome in outcomes:
        if outcome.error is not None:
            click.echo(outcome.failure_line(), err=True)
    counts = {s: sum(o.status == s for o in outcomes) for s in ("done", "failed", "skipped")}
    click.echo(
        f"vfx batch: {counts['done']} done, {counts['failed']} failed, "
        f"{counts['skipped']} skipped; report: {report}"
    )
    code = exit_code(outcomes)
    if code:
        sys.exit(code)


def _executor(name: str, ray_address: str | None, workers: int | None) -> Executor:
    """The executor the options ask for (Ray only when asked: it is an optional extra)."""
    if name == "ray":
        from vfx.batch.ray_executor import RayExecutor

        return RayExecutor(ray_address)
    if ray_address is not None:
        raise VfxError("--ray-address needs --executor ray")
    from vfx.batch.local_executor import LocalExecutor

    return LocalExecutor(workers)
