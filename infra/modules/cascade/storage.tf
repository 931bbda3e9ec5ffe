# The log bucket, the bucket holding the function source, and who may touch them.

# Google-managed encryption unless kms_key_name is set: a customer-managed key
# is the operator's choice (it adds a key to run and a dependency on Cloud KMS
# availability for every commit), so the module offers it without forcing it.
#trivy:ignore:AVD-GCP-0066
resource "google_storage_bucket" "log" {
  name                        = local.log_bucket_name
  project                     = var.project_id
  location                    = coalesce(var.bucket_location, var.region)
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false
  labels                      = local.labels

  # Commits are create-if-absent on unique names and the manifest is replaced
  # by compare-and-swap, so object versioning would only keep garbage.
  versioning {
    enabled = false
  }

  soft_delete_policy {
    retention_duration_seconds = var.soft_delete_days * 86400
  }

  dynamic "retention_policy" {
    for_each = var.retention_days > 0 ? [var.retention_days] : []
    content {
      retention_period = retention_policy.value * 86400
      is_locked        = false
    }
  }

  dynamic "lifecycle_rule" {
    for_each = var.quarantine_days > 0 ? [var.quarantine_days] : []
    content {
      condition {
        age            = lifecycle_rule.value
        matches_prefix = [for s in var.streams : "${var.object_prefix}${s.name}/quarantine/"]
      }
      action {
        type = "Delete"
      }
    }
  }

  # Should versioning ever be turned on outside Terraform, the small objects
  # compaction deletes would linger as noncurrent versions; drop them.
  lifecycle_rule {
    condition {
      with_state                 = "ARCHIVED"
      days_since_noncurrent_time = 1
    }
    action {
      type = "Delete"
    }
  }

  lifecycle_rule {
    condition {
      age = 1
    }
    action {
      type = "AbortIncompleteMultipartUpload"
    }
  }

  dynamic "encryption" {
    for_each = var.kms_key_name == null ? [] : [var.kms_key_name]
    content {
      default_kms_key_name = encryption.value
    }
  }

  depends_on = [google_kms_crypto_key_iam_member.storage_agent]
}

# Function source archives live apart from the log, so the log bucket's
# retention policy never pins old builds. Encryption as for the log bucket.
#trivy:ignore:AVD-GCP-0066
resource "google_storage_bucket" "source" {
  name                        = "${local.log_bucket_name}-src"
  project                     = var.project_id
  location                    = var.region
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = true
  labels                      = local.labels

  versioning {
    enabled = false
  }

  soft_delete_policy {
    retention_duration_seconds = 0
  }

  lifecycle_rule {
    condition {
      age = 30
    }
    action {
      type = "Delete"
    }
  }

  dynamic "encryption" {
    for_each = var.kms_key_name == null ? [] : [var.kms_key_name]
    content {
      default_kms_key_name = encryption.value
    }
  }

  depends_on = [google_kms_crypto_key_iam_member.storage_agent]
}

# Cloud Storage encrypts with the key as its service agent; granted on the key only.
resource "google_kms_crypto_key_iam_member" "storage_agent" {
  count         = var.kms_key_name == null ? 0 : 1
  crypto_key_id = var.kms_key_name
  role          = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
  member        = "serviceAccount:service-${data.google_project.this.number}@gs-project-accounts.iam.gserviceaccount.com"
}

# Named by content, so a changed archive is a new object and every function
# redeploys from it.
resource "google_storage_bucket_object" "source" {
  name           = "cascade-functions-${filemd5(var.source_zip)}.zip"
  bucket         = google_storage_bucket.source.name
  source         = var.source_zip
  content_type   = "application/zip"
  source_md5hash = filemd5(var.source_zip)
}

resource "google_storage_bucket_iam_member" "source_build_reader" {
  count  = var.build_service_account == null ? 0 : 1
  bucket = google_storage_bucket.source.name
  role   = "roles/storage.objectViewer"
  member = "serviceAccount:${element(split("/", var.build_service_account), 3)}"
}

# ingest and ingestEvent create objects (create-if-absent) and read what other
# instances committed; they never replace or delete.
resource "google_storage_bucket_iam_member" "ingest_creator" {
  for_each = toset(["roles/storage.objectCreator", "roles/storage.objectViewer"])
  bucket   = google_storage_bucket.log.name
  role     = each.value
  member   = google_service_account.function["ingest"].member
}

resource "google_storage_bucket_iam_member" "ingest_event_creator" {
  for_each = length(local.eventarc_streams) > 0 ? toset(["roles/storage.objectCreator", "roles/storage.objectViewer"]) : toset([])
  bucket   = google_storage_bucket.log.name
  role     = each.value
  member   = google_service_account.function["ingest-event"].member
}

# api creates and cancels replay jobs (compare-and-swap replaces objects,
# which needs delete); scheduler compacts, swaps manifests and deletes.
resource "google_storage_bucket_iam_member" "object_user" {
  for_each = toset(["api", "scheduler"])
  bucket   = google_storage_bucket.log.name
  role     = "roles/storage.objectUser"
  member   = google_service_account.function[each.value].member
}
