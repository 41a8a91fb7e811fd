from django.urls import path

from alweb.queue import apis

urlpatterns = [
    path("projects/<id:project_id>/queue/", apis.QueueListApi.as_view(), name="project-queue"),
    path("projects/<id:project_id>/queue/next/", apis.QueueNextApi.as_view(), name="project-queue-next"),
    path("projects/<id:project_id>/queue/stats/", apis.QueueStatsApi.as_view(), name="project-queue-stats"),
    path("leases/<str:lease_id>/renew/", apis.LeaseRenewApi.as_view(), name="lease-renew"),
    path("leases/<str:lease_id>/release/", apis.LeaseReleaseApi.as_view(), name="lease-release"),
]
