from django.urls import path

from alweb.projects import apis

urlpatterns = [
    path("projects/", apis.ProjectListCreateApi.as_view(), name="project-list"),
    path("projects/<id:project_id>/", apis.ProjectDetailApi.as_view(), name="project-detail"),
    path("projects/<id:project_id>/members/", apis.MemberListCreateApi.as_view(), name="project-members"),
    path(
        "projects/<id:project_id>/members/<str:username>/",
        apis.MemberDetailApi.as_view(),
        name="project-member-detail",
    ),
]
