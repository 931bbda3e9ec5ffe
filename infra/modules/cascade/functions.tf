# The Cloud Run functions (gen2). All deploy from one archive; the entry point
# picks the functions-framework target registered in functions/*.ts.

resource "google_cloudfunctions2_function" "ingest" {
  name        = local.ingest_name
  project     = var.project_id
  location    = var.region
  description = "Cascade: Pub/Sub push to partitioned logs"
  labels      = local.labels

  build_config {
    runtime         = var.runtime
    entry_point     = "ingest"
    service_account = var.build_service_account
    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.source.name
      }
    }
  }

  service_config {
    available_memory = var.ingest.memory
    available_cpu    = var.ingest.cpu
    # Group commit needs many requests in flight per instance.
    max_instance_request_concurrency = var.ingest.concurrency
    min_instance_count               = var.ingest.min_instances
    max_instance_count               = var.ingest.max_instances
    timeout_seconds                  = var.ingest.timeout_seconds
    ingress_settings                 = var.internal_ingress ? "ALLOW_INTERNAL_ONLY" : "ALLOW_ALL"
    all_traffic_on_latest_revision   = true
    service_account_email            = google_service_account.function["ingest"].email
    environment_variables            = local.ingest_env

    dynamic "secret_environment_variables" {
      for_each = local.credentials_secret
      content {
        key        = "CASCADE_CREDENTIALS_JSON"
        project_id = var.project_id
        secret     = secret_environment_variables.value.secret_id
        version    = secret_environment_variables.value.version
      }
    }
  }

  depends_on = [google_secret_manager_secret_iam_member.credentials_accessor]
}

# One function per Eventarc stream: a gen2 function carries one trigger.
resource "google_cloudfunctions2_function" "ingest_event" {
  for_each    = local.eventarc_streams
  name        = "${var.name_prefix}-ingest-event-${each.key}"
  project     = var.project_id
  location    = var.region
  description = "Cascade: Eventarc Pub/Sub events of stream ${each.key} to its log"
  labels      = local.labels

  build_config {
    runtime         = var.runtime
    entry_point     = "ingestEvent"
    service_account = var.build_service_account
    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.source.name
      }
    }
  }

  service_config {
    available_memory                 = var.ingest.memory
    available_cpu                    = var.ingest.cpu
    max_instance_request_concurrency = var.ingest.concurrency
    min_instance_count               = var.ingest.min_instances
    max_instance_count               = var.ingest.max_instances
    timeout_seconds                  = var.ingest.timeout_seconds
    ingress_settings                 = "ALLOW_INTERNAL_ONLY"
    all_traffic_on_latest_revision   = true
    service_account_email            = google_service_account.function["ingest-event"].email
    environment_variables            = local.ingest_env

    dynamic "secret_environment_variables" {
      for_each = local.credentials_secret
      content {
        key        = "CASCADE_CREDENTIALS_JSON"
        project_id = var.project_id
        secret     = secret_environment_variables.value.secret_id
        version    = secret_environment_variables.value.version
      }
    }
  }

  event_trigger {
    trigger_region        = var.region
    event_type            = "google.cloud.pubsub.topic.v1.messagePublished"
    pubsub_topic          = local.stream_topic_ids[each.key]
    service_account_email = google_service_account.eventarc[0].email
    retry_policy          = "RETRY_POLICY_RETRY"
  }

  depends_on = [
    google_secret_manager_secret_iam_member.credentials_accessor,
    google_service_account_iam_member.eventarc_token_minter,
  ]
}

resource "google_cloudfunctions2_function" "api" {
  name        = "${var.name_prefix}-api"
  project     = var.project_id
  location    = var.region
  description = "Cascade: HTTP API over the logs"
  labels      = local.labels

  build_config {
    runtime         = var.runtime
    entry_point     = "api"
    service_account = var.build_service_account
    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.source.name
      }
    }
  }

  service_config {
    available_memory                 = var.api.memory
    available_cpu                    = var.api.cpu
    max_instance_request_concurrency = var.api.concurrency
    min_instance_count               = var.api.min_instances
    max_instance_count               = var.api.max_instances
    timeout_seconds                  = var.api.timeout_seconds
    ingress_settings                 = "ALLOW_ALL"
    all_traffic_on_latest_revision   = true
    service_account_email            = google_service_account.function["api"].email
    environment_variables            = local.api_env

    dynamic "secret_environment_variables" {
      for_each = local.credentials_secret
      content {
        key        = "CASCADE_CREDENTIALS_JSON"
        project_id = var.project_id
        secret     = secret_environment_variables.value.secret_id
        version    = secret_environment_variables.value.version
      }
    }
  }

  depends_on = [
    google_secret_manager_secret_iam_member.credentials_accessor,
    google_secret_manager_secret_iam_member.api_token_accessor,
  ]
}

resource "google_cloudfunctions2_function" "scheduler" {
  name        = "${var.name_prefix}-scheduler"
  project     = var.project_id
  location    = var.region
  description = "Cascade: compaction, retention, replay slices and snapshots"
  labels      = local.labels

  build_config {
    runtime         = var.runtime
    entry_point     = "scheduler"
    service_account = var.build_service_account
    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.source.name
      }
    }
  }

  service_config {
    available_memory                 = var.scheduler.memory
    available_cpu                    = var.scheduler.cpu
    max_instance_request_concurrency = 1
    min_instance_count               = 0
    max_instance_count               = var.scheduler.max_instances
    timeout_seconds                  = var.scheduler.timeout_seconds
    ingress_settings                 = var.internal_ingress ? "ALLOW_INTERNAL_ONLY" : "ALLOW_ALL"
    all_traffic_on_latest_revision   = true
    service_account_email            = google_service_account.function["scheduler"].email
    environment_variables            = local.scheduler_env

    dynamic "secret_environment_variables" {
      for_each = local.credentials_secret
      content {
        key        = "CASCADE_CREDENTIALS_JSON"
        project_id = var.project_id
        secret     = secret_environment_variables.value.secret_id
        version    = secret_environment_variables.value.version
      }
    }
  }

  depends_on = [google_secret_manager_secret_iam_member.credentials_accessor]
}

# Invokers: each function's underlying Cloud Run service, one principal each.

resource "google_cloud_run_v2_service_iam_member" "ingest_invoker_push" {
  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.ingest.service_config[0].service
  role     = "roles/run.invoker"
  member   = google_service_account.push.member
}

resource "google_cloud_run_v2_service_iam_member" "ingest_event_invoker" {
  for_each = local.eventarc_streams
  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.ingest_event[each.key].service_config[0].service
  role     = "roles/run.invoker"
  member   = google_service_account.eventarc[0].member
}

resource "google_cloud_run_v2_service_iam_member" "scheduler_invoker_cron" {
  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.scheduler.service_config[0].service
  role     = "roles/run.invoker"
  member   = google_service_account.cron.member
}

resource "google_cloud_run_v2_service_iam_member" "api_invoker" {
  for_each = toset(var.api_invokers)
  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.api.service_config[0].service
  role     = "roles/run.invoker"
  member   = each.value
}
