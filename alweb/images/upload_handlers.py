"""Where the files of an upload request are held while they are checked."""

from django.core.files.uploadhandler import MemoryFileUploadHandler, TemporaryFileUploadHandler

# Bodies up to this size are parsed into memory. Spooling each image of a batch to a
# temporary file and reading it back cost about a third of the ingest time; larger
# bodies still go to temporary files, so memory stays bounded per request.
IN_MEMORY_BODY_BYTES = 32 * 1024 * 1024


class BatchInMemoryUploadHandler(MemoryFileUploadHandler):
    """Keep every file of a request in memory when the whole body is small enough."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.activated = content_length <= IN_MEMORY_BODY_BYTES


def upload_handlers(request) -> list:
    return [BatchInMemoryUploadHandler(request), TemporaryFileUploadHandler(request)]
