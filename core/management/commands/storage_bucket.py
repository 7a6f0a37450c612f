"""Create the object storage bucket of STORAGE_URL if it is missing (compose's set-up)."""

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create the S3 bucket of STORAGE_URL if it does not exist (private)."

    def handle(self, *args, **options):
        bucket_name = getattr(default_storage, "bucket_name", None)
        if bucket_name is None:
            self.stdout.write("Local files (no STORAGE_URL): nothing to create.")
            return
        client = default_storage.connection.meta.client
        names = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
        if bucket_name in names:
            self.stdout.write(f"Bucket {bucket_name} exists.")
            return
        client.create_bucket(Bucket=bucket_name)
        self.stdout.write(f"Bucket {bucket_name} created.")
