from django.urls import path

from alweb.interchange import apis

urlpatterns = [
    path("projects/<id:project_id>/export/", apis.ExportApi.as_view(), name="project-export"),
    path("projects/<id:project_id>/import/", apis.ImportApi.as_view(), name="project-import"),
]
