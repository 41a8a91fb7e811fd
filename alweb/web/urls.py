from django.contrib.auth import views as auth_views
from django.urls import path

from alweb.web import annotate_views, browse_views, dashboard_views, project_views, views
from alweb.web.login_views import login_throttled

urlpatterns = [
    path("", views.project_list, name="project-list-page"),
    path("accounts/login/", login_throttled(auth_views.LoginView.as_view()), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("projects/<id:project_id>/annotate/", annotate_views.annotate, name="annotate"),
    path("projects/<id:project_id>/dashboard/", dashboard_views.dashboard, name="dashboard"),
    path("projects/<id:project_id>/images/", browse_views.images, name="images-page"),
    path("projects/<id:project_id>/images/<id:image_id>/", browse_views.image_review, name="image-page"),
    path("projects/new/", project_views.project_new, name="project-new"),
    path("projects/<id:project_id>/settings/", project_views.project_settings, name="project-settings"),
]
