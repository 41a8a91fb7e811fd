"""Drive whole cycles end to end: label the queue with the synthetic truth, start the next cycle."""

import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from alweb.annotations.services import annotation_save
from alweb.cycles.models import Cycle
from alweb.cycles.services import cycle_start
from alweb.cycles.shapes import CycleMetrics
from alweb.demo.services import synthetic_label_for
from alweb.projects.models import Project
from alweb.queue.services import lease_next

POLL_SECONDS = 2.0
# Measuring a label's outcome takes a worker well under a second; past this, report what is there.
OUTCOME_TIMEOUT_S = 120.0


class Command(BaseCommand):
    help = "Label queued images with the synthetic ground truth through the real services, cycle after cycle."

    def add_arguments(self, parser):
        parser.add_argument("--project", type=int, required=True)
        parser.add_argument("--cycles", type=int, default=1, help="How many queues to label (and cycles to start).")
        parser.add_argument("--annotator", default="annotator", help="The account the labels are saved as.")
        parser.add_argument("--timeout", type=float, default=3600, help="Seconds to wait for one cycle.")

    def handle(self, *args, project: int, cycles: int, annotator: str, timeout: float, **options):
        project_obj = Project.objects.filter(pk=project).first()
        if project_obj is None:
            raise CommandError(f"No project with id {project}.")
        user = get_user_model().objects.filter(username=annotator).first()
        if user is None or not project_obj.memberships.filter(user=user).exists():
            raise CommandError(f"{annotator!r} is not a member of project {project}.")
        for number in range(1, cycles + 1):
            last = self._wait_for_idle(project_obj, timeout)
            labelled = self._label_queue(project_obj, user)
            self.stdout.write(f"cycle {number}: labelled {labelled} queued images")
            if last is None:
                raise CommandError("The project has no cycle yet; start one from the dashboard or the API.")
            self.stdout.write(_evidence(self._wait_for_outcomes(last, labelled, timeout)))
            started = cycle_start(
                project=project_obj,
                strategy=last.strategy,
                budget=last.budget,
                epochs=last.epochs,
                head_epochs=last.head_epochs,
                audit_fraction=last.audit_fraction,
                model_name=last.model_name,
            )
            self.stdout.write(f"started cycle {started.index} ({started.strategy}, budget {started.budget})")
        final = self._wait_for_idle(project_obj, timeout)
        self.stdout.write(_evidence(final))
        self.stdout.write(self.style.SUCCESS(f"done: last cycle {final.index} is {final.state}"))

    def _wait_for_outcomes(self, cycle: Cycle, labelled: int, timeout: float) -> Cycle:
        """Wait until a worker has measured every label of the cycle's queue (or the timeout)."""
        deadline = time.monotonic() + min(timeout, OUTCOME_TIMEOUT_S)
        while time.monotonic() < deadline:
            cycle.refresh_from_db()
            metrics = CycleMetrics.from_json(cycle.metrics)
            if metrics.labelled + metrics.audit_labelled >= labelled:
                break
            time.sleep(POLL_SECONDS)
        return cycle

    def _wait_for_idle(self, project: Project, timeout: float) -> Cycle | None:
        """Wait until no cycle of the project runs; returns the latest cycle."""
        deadline = time.monotonic() + timeout
        while Cycle.objects.filter(project=project, state__in=Cycle.ACTIVE_STATES).exists():
            if time.monotonic() > deadline:
                raise CommandError("Timed out waiting for the running cycle.")
            time.sleep(POLL_SECONDS)
        return Cycle.objects.filter(project=project).order_by("-index").first()

    def _label_queue(self, project: Project, user) -> int:
        labelled = 0
        with tqdm(desc="labelling", unit="image") as bar:
            while (entry := lease_next(project=project, user=user)) is not None:
                keypoints = synthetic_label_for(entry.image)
                if keypoints is None:
                    self.stderr.write(f"{entry.image.name} is not a generated image; leaving the rest of the queue.")
                    break
                annotation_save(image=entry.image, user=user, keypoints=keypoints, if_match=None)
                labelled += 1
                bar.update()
        return labelled


def _evidence(cycle: Cycle) -> str:
    """One line of what a cycle measured: its model, and how its ranking did against the audit sample."""
    m = CycleMetrics.from_json(cycle.metrics)
    return (
        f"cycle {cycle.index} ({cycle.strategy}): validation PCK {_figure(m.val_pck)}, "
        f"PCK selected {_figure(m.pck_selected)} (n={m.labelled}), "
        f"PCK audit {_figure(m.pck_audit)} (n={m.audit_labelled}), "
        f"Spearman {_figure(m.spearman)}, ranking: {m.ranking_verdict or '-'}"
    )


def _figure(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"
