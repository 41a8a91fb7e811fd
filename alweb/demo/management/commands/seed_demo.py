"""manage.py seed_demo: the demo accounts, project and synthetic images; safe to run again."""

from pathlib import Path

from django.core.management.base import BaseCommand

from alweb.demo.credentials import credentials_load_or_create, credentials_path
from alweb.demo.services import PROJECT_NAME, demo_seed


class Command(BaseCommand):
    help = "Create the demo accounts, the project and its synthetic images; skip what exists."

    def add_arguments(self, parser):
        parser.add_argument("--pool", type=int, default=2000, help="unlabelled images to rank (default 2000)")
        parser.add_argument("--train", type=int, default=1000, help="labelled training images (default 1000)")
        parser.add_argument("--val", type=int, default=100, help="labelled validation images (default 100)")
        parser.add_argument("--seed", type=int, default=0, help="random seed of the generator")
        parser.add_argument(
            "--credentials", type=Path, default=None, help="password file (default var/demo-credentials.json)"
        )

    def handle(self, *args, pool, train, val, seed, credentials, **options):
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
        for username in report.passwords_kept:
            self.stdout.write(
                f"The account {username!r} existed already with another password; it was left unchanged, "
                f"so the password in {path} does not sign in as {username!r}."
            )
