from django.urls import path

from alweb.cycles import apis, prediction_apis

urlpatterns = [
    path("projects/<int:project_id>/cycles/", apis.CycleListCreateApi.as_view(), name="project-cycles"),
    path("cycles/<int:cycle_id>/", apis.CycleDetailApi.as_view(), name="cycle-detail"),
    path("cycles/<int:cycle_id>/cancel/", apis.CycleCancelApi.as_view(), name="cycle-cancel"),
    path("projects/<int:project_id>/model-versions/", apis.ModelVersionListApi.as_view(), name="model-versions"),
    path("model-versions/<int:version_id>/activate/", apis.ModelVersionActivateApi.as_view(), name="model-activate"),
    path("projects/<int:project_id>/predict/", prediction_apis.PredictApi.as_view(), name="project-predict"),
]
