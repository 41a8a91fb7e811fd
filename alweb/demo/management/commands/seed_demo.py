"""manage.py seed_demo: the demo accounts, project and synthetic images; safe to run again."""

from pathlib import Path

from django.core.management.base import BaseCommand

from alweb.demo.credentials import credentials_load_or_create, credentials_path
from alweb.demo.scenes import SCENE_COUNTS, SCENES_PROJECT_NAME, demo_scenes_seed
from alweb.demo.services import PROJECT_NAME, demo_seed


class Command(BaseCommand):
    help = "Create the demo accounts, the project and its synthetic images; skip what exists."

    def add_arguments(self, parser):
        parser.add_argument("--pool", type=int, default=2000, help="unlabelled images to rank (default 2000)")
        parser.add_argument("--train", type=int, default=1000, help="labelled training images (default 1000)")
        parser.add_argument("--val", type=int, default=100, help="labelled validation images (default 100)")
        parser.add_argument("--seed", type=int, default=0, help="random seed of the generator")
        for split, count in SCENE_COUNTS.items():
            parser.add_argument(
                f"--scenes-{split}", type=int, default=count, help=f"{split} scenes of the second project ({count})"
            )
        parser.add_argument(
            "--no-scenes",
            dest="scenes",
            action="store_false",
            help=f"skip the second project, {SCENES_PROJECT_NAME!r} (640x480 images with several people)",
        )
        parser.add_argument(
            "--credentials", type=Path, default=None, help="password file (default var/demo-credentials.json)"
        )

    def handle(self, *args, pool, train, val, seed, credentials, scenes=True, **options):
        scene_counts = {split: options.get(f"scenes_{split}", count) for split, count in SCENE_COUNTS.items()}
        path = credentials or credentials_path()
        passwords = credentials_load_or_create(path=path)
        report = demo_seed(passwords=passwords, pool=pool, train=train, val=val, seed=seed)
        users = ", ".join(report.users_created) or "none"
        images = ", ".join(f"{split} +{n}" for split, n in report.images_created.items()) or "none"
        self.stdout.write(
            f"Demo seeded: project {PROJECT_NAME!r} ({'created' if report.project_created else 'exists'}); "
            f"new users: {users}; new images: {images}; new labels: {report.labels_created}. "
            f"Passwords are in {path}."
        )
        if scenes:
            scenes_report = demo_scenes_seed(seed=seed, counts=scene_counts)
            scene_images = ", ".join(f"{split} +{n}" for split, n in scenes_report.images_created.items()) or "none"
            self.stdout.write(
                f"Demo seeded: project {SCENES_PROJECT_NAME!r} "
                f"({'created' if scenes_report.project_created else 'exists'}); new images: {scene_images}; "
                f"new labels: {scenes_report.labels_created}."
            )
        for username in report.passwords_kept:
            self.stdout.write(
                f"The account {username!r} existed already with another password; it was left unchanged, "
                f"so the password in {path} does not sign in as {username!r}."
            )
