from django.urls import path

from alweb.images import apis, browse_apis

urlpatterns = [
    path("projects/<id:project_id>/images/", apis.ImageListCreateApi.as_view(), name="project-images"),
    path("projects/<id:project_id>/images/counts/", apis.ImageCountsApi.as_view(), name="project-image-counts"),
    path("projects/<id:project_id>/images/browse/", browse_apis.ImageBrowseApi.as_view(), name="project-image-browse"),
    path("images/<id:image_id>/", apis.ImageDetailApi.as_view(), name="image-detail"),
    path("images/<id:image_id>/boxes/", apis.ImageBoxesApi.as_view(), name="image-boxes"),
    # No trailing slash: the last segment reads as the resource, like a file name.
    path("images/<id:image_id>/file", apis.ImageFileApi.as_view(), name="image-file"),
    path("images/<id:image_id>/thumbnail", browse_apis.ImageThumbnailApi.as_view(), name="image-thumbnail"),
]
