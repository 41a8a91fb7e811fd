from django.urls import path

from alweb.annotations import apis

urlpatterns = [
    path("images/<id:image_id>/annotation/", apis.AnnotationApi.as_view(), name="image-annotation"),
    path(
        "images/<id:image_id>/annotation/history/",
        apis.AnnotationHistoryApi.as_view(),
        name="image-annotation-history",
    ),
    path(
        "images/<id:image_id>/annotation/history/<id:version>/restore/",
        apis.AnnotationRestoreApi.as_view(),
        name="image-annotation-restore",
    ),
]
