from django.urls import path

from alweb.cycles import apis, prediction_apis

urlpatterns = [
    path("projects/<id:project_id>/cycles/", apis.CycleListCreateApi.as_view(), name="project-cycles"),
    path("cycles/<id:cycle_id>/", apis.CycleDetailApi.as_view(), name="cycle-detail"),
    path("cycles/<id:cycle_id>/cancel/", apis.CycleCancelApi.as_view(), name="cycle-cancel"),
    path("projects/<id:project_id>/model-versions/", apis.ModelVersionListApi.as_view(), name="model-versions"),
    path("model-versions/<id:version_id>/activate/", apis.ModelVersionActivateApi.as_view(), name="model-activate"),
    path("projects/<id:project_id>/predict/", prediction_apis.PredictApi.as_view(), name="project-predict"),
    path("images/<id:image_id>/predict/", prediction_apis.InstancePredictApi.as_view(), name="image-predict"),
]
