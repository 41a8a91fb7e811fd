"""The storage backend of ALWEB_STORAGE=s3: django-storages' S3Storage, reading a file in one request."""

import io

from botocore.exceptions import ClientError
from django.core.files.base import File
from storages.backends.s3 import S3Storage
from storages.utils import clean_name


class ObjectStorage(S3Storage):
    """An S3-compatible bucket whose files are read whole with one GET.

    S3Storage opens a file for reading with a HEAD request, then downloads it through s3transfer,
    which asks for the size with a second HEAD: three round trips per image, and three times the
    CPU of a GET in the worker that scores the pool (bench/cycle.py --storage s3). Every file here
    (an image of at most UPLOAD_MAX_FILE_BYTES, a model, a checkpoint, features) is read whole anyway.
    """

    def _open(self, name, mode="rb"):
        if mode != "rb":
            return super()._open(name, mode)
        key = self._normalize_name(clean_name(name))
        try:
            response = self.connection.meta.client.get_object(Bucket=self.bucket_name, Key=key)
        except ClientError as error:
            if error.response["ResponseMetadata"]["HTTPStatusCode"] == 404:
                raise FileNotFoundError(f"File does not exist: {name}") from None
            raise
        with response["Body"] as body:
            return File(io.BytesIO(body.read()), name=name)
