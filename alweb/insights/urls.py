from django.urls import path

from alweb.insights import apis

urlpatterns = [
    path("projects/<id:project_id>/overview/", apis.ProjectOverviewApi.as_view(), name="project-overview"),
    path("projects/<id:project_id>/loss-analysis/", apis.LossAnalysisApi.as_view(), name="project-loss-analysis"),
    path("cycles/<id:cycle_id>/scatter/", apis.CycleScatterApi.as_view(), name="cycle-scatter"),
]
