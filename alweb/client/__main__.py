"""python -m alweb.client: upload image folders to a project and download its COCO export.

Exit status: 0 when everything went through, 1 when some files were rejected or failed,
2 when the command could not run (bad token, unknown project, server unreachable), 130 on Ctrl-C.
"""

import argparse
import os
import sys
from pathlib import Path

from alweb.client.api import ApiClient, ClientError
from alweb.client.export import export_project
from alweb.client.upload import UploadSummary, upload_folder

EXIT_OK, EXIT_SOME_FILES_FAILED, EXIT_ERROR, EXIT_INTERRUPTED = 0, 1, 2, 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m alweb.client", description="Upload image folders to a project and download its COCO export."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--url", default=os.environ.get("ALWEB_URL"), help="server address, e.g. https://al.example.org (or ALWEB_URL)"
    )
    common.add_argument("--token", default=os.environ.get("ALWEB_TOKEN"), help="API token (or ALWEB_TOKEN)")
    common.add_argument("--project", type=int, required=True, help="project id")
    common.add_argument("--retries", type=int, default=4, help="attempts after a transient failure (default 4)")

    upload = commands.add_parser(
        "upload", parents=[common], help="upload the images of a folder, skipping those already there"
    )
    upload.add_argument("folder", type=Path, help="folder searched recursively for .jpg, .jpeg, .png and .webp files")
    upload.add_argument("--batch-size", type=_positive, default=32, help="files per request (default 32)")
    upload.add_argument("--workers", type=_positive, default=4, help="requests in parallel (default 4)")
    upload.add_argument("--no-progress", action="store_true", help="hide the progress bars")

    export = commands.add_parser("export", parents=[common], help="download the project as COCO keypoints JSON")
    export.add_argument("--out", help='output file, "-" for stdout (default: the name the server suggests)')
    export.add_argument("--format", default="coco", choices=["coco"], help="export format (default coco)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not args.url:
        return _fail("Give the server address with --url or ALWEB_URL.")
    if not args.token:
        return _fail("Give an API token with --token or ALWEB_TOKEN.")
    try:
        with ApiClient(url=args.url, token=args.token, retries=args.retries) as api:
            if args.command == "upload":
                return _upload(api, args)
            where = export_project(api=api, project_id=args.project, out=args.out, export_format=args.format)
            print(f"Exported project {args.project} to {where}.", file=sys.stderr)
            return EXIT_OK
    except ClientError as error:
        return _fail(str(error))
    except KeyboardInterrupt:
        print("\nInterrupted. Run the same command again: what is already on the server is skipped.", file=sys.stderr)
        return EXIT_INTERRUPTED


def _upload(api: ApiClient, args) -> int:
    if not args.folder.is_dir():
        return _fail(f"{args.folder} is not a folder.")
    summary = upload_folder(
        api=api,
        project_id=args.project,
        root=args.folder,
        batch_size=args.batch_size,
        workers=args.workers,
        progress=False if args.no_progress else None,
    )
    _print_summary(summary, root=args.folder)
    return EXIT_OK if summary.ok else EXIT_SOME_FILES_FAILED


def _print_summary(summary: UploadSummary, *, root: Path) -> None:
    print(
        f"{summary.found} images found, {summary.already_there} already on the server; "
        f"created {summary.created}, duplicate {summary.duplicate}, "
        f"rejected {len(summary.rejected)}, failed {len(summary.failed)}."
    )
    for title, files in (("Rejected", summary.rejected), ("Failed", summary.failed)):
        if files:
            print(f"{title}:")
            for path, reason in sorted(files):
                print(f"  {path.relative_to(root)}: {reason}")


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
