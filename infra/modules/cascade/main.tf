# Shared names and the values every other file derives from.

data "google_project" "this" {
  project_id = var.project_id
}

locals {
  # Pub/Sub's own identity: it mints push tokens, forwards dead letters and
  # acknowledges them on the source subscription.
  pubsub_service_agent = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"

  labels = merge(var.labels, { app = "cascade", cascade-deployment = var.name_prefix })

  log_bucket_name = coalesce(var.bucket_name, "${var.project_id}-${var.name_prefix}-log")

  push_streams     = { for s in var.streams : s.name => s if s.delivery == "push" }
  eventarc_streams = { for s in var.streams : s.name => s if s.delivery == "eventarc" }

  # Topics Cascade creates versus topics the user already has.
  created_topics = { for s in var.streams : s.name => s if s.topic == null }
  stream_topic_ids = {
    for s in var.streams : s.name => (
      s.topic == null ? google_pubsub_topic.source[s.name].id : s.topic
    )
  }

  # A gen2 function is also served at this address, known before it exists.
  # Using it as the push audience avoids a cycle: the ingest function's
  # configuration names its audience, and its run.app URL only exists after
  # it is created. Cloud Run's invoker check accepts tokens for either URL.
  function_base_url = "https://${var.region}-${var.project_id}.cloudfunctions.net"
  ingest_name       = "${var.name_prefix}-ingest"
  ingest_audience   = "${local.function_base_url}/${local.ingest_name}"

  # The streams document (src/config/streams-schema.ts), inline in
  # CASCADE_STREAMS. Every push stream shares one push identity; Eventarc
  # deliveries are authenticated by Cloud Run's invoker check alone.
  streams_document = {
    bucket = local.log_bucket_name
    prefix = var.object_prefix
    pushAuth = {
      audience = local.ingest_audience
      email    = google_service_account.push.email
    }
    streams = [
      for s in var.streams : {
        name = s.name
        # Eventarc generates its own subscription; an Eventarc stream keeps the
        # name Cascade would have used, so records stay attributable, and its
        # events are routed by topic instead.
        subscription = "projects/${var.project_id}/subscriptions/${var.name_prefix}-${s.name}"
        topic        = local.stream_topic_ids[s.name]
        partitions   = s.partitions
        lingerMs     = s.linger_ms
        partitionKey = s.partition_key_attribute == null ? {} : { attribute = s.partition_key_attribute }
      }
    ]
  }

  # Optional service-account JSON from Secret Manager (zero or one element),
  # for deployments whose functions must act as an identity other than their own.
  credentials_secret = var.credentials_secret == null ? [] : [var.credentials_secret]

  # Environment of each function. Every name must be one the configuration
  # schema (src/config/env-schema.ts) knows; test/unit/infra checks that.
  ingest_env = {
    CASCADE_STORAGE      = "gcs"
    CASCADE_BUCKET       = local.log_bucket_name
    CASCADE_STREAMS      = jsonencode(local.streams_document)
    CASCADE_PUSH_AUTH    = "on"
    CASCADE_LOG_LEVEL    = var.log_level
    GOOGLE_CLOUD_PROJECT = var.project_id
  }
  api_env = {
    CASCADE_STORAGE                = "gcs"
    CASCADE_BUCKET                 = local.log_bucket_name
    CASCADE_STREAMS                = jsonencode(local.streams_document)
    CASCADE_LOG_LEVEL              = var.log_level
    CASCADE_API_TOKEN_SECRET       = local.api_token_version_name
    CASCADE_SNAPSHOT_SUBSCRIPTIONS = local.snapshot_subscriptions
    GOOGLE_CLOUD_PROJECT           = var.project_id
  }
  scheduler_env = {
    CASCADE_STORAGE      = "gcs"
    CASCADE_BUCKET       = local.log_bucket_name
    CASCADE_STREAMS      = jsonencode(local.streams_document)
    CASCADE_LOG_LEVEL    = var.log_level
    GOOGLE_CLOUD_PROJECT = var.project_id
    # A tick stops starting work a minute before the function would be killed.
    CASCADE_SCHEDULER_BUDGET_MS    = (var.scheduler.timeout_seconds - 60) * 1000
    CASCADE_SNAPSHOT_SUBSCRIPTIONS = local.snapshot_subscriptions
    CASCADE_RETENTION_DAYS         = var.log_retention_days == 0 ? "" : tostring(var.log_retention_days)
  }

  # Cascade treats an empty variable as unset, which keeps these maps literal.
  snapshot_subscriptions = var.enable_snapshots ? join(",", [
    for name, s in local.push_streams : "projects/${var.project_id}/subscriptions/${var.name_prefix}-${name}"
  ]) : ""
}
