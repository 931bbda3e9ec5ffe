# Source topics, dead-letter topics and the push subscriptions feeding ingest.

resource "google_pubsub_topic" "source" {
  for_each                   = local.created_topics
  project                    = var.project_id
  name                       = "${var.name_prefix}-${each.key}"
  labels                     = local.labels
  message_retention_duration = each.value.message_retention
}

resource "google_pubsub_topic" "dead_letter" {
  for_each                   = local.push_streams
  project                    = var.project_id
  name                       = "${var.name_prefix}-${each.key}-dead-letter"
  labels                     = local.labels
  message_retention_duration = "604800s"
}

# Pub/Sub forwards undeliverable messages as its service agent.
resource "google_pubsub_topic_iam_member" "dead_letter_publisher" {
  for_each = local.push_streams
  project  = var.project_id
  topic    = google_pubsub_topic.dead_letter[each.key].name
  role     = "roles/pubsub.publisher"
  member   = local.pubsub_service_agent
}

# A subscription on the dead-letter topic, so dead letters are kept (a topic
# without subscriptions drops what is published to it).
resource "google_pubsub_subscription" "dead_letter" {
  for_each                   = local.push_streams
  project                    = var.project_id
  name                       = "${var.name_prefix}-${each.key}-dead-letter"
  topic                      = google_pubsub_topic.dead_letter[each.key].id
  labels                     = local.labels
  ack_deadline_seconds       = 60
  message_retention_duration = "604800s"

  expiration_policy {
    ttl = ""
  }
}

resource "google_pubsub_subscription" "push" {
  for_each                   = local.push_streams
  project                    = var.project_id
  name                       = "${var.name_prefix}-${each.key}"
  topic                      = local.stream_topic_ids[each.key]
  labels                     = local.labels
  ack_deadline_seconds       = each.value.ack_deadline_seconds
  message_retention_duration = each.value.message_retention
  # Snapshots and seek need acknowledged messages kept within retention.
  retain_acked_messages = var.enable_snapshots

  push_config {
    push_endpoint = google_cloudfunctions2_function.ingest.url

    oidc_token {
      service_account_email = google_service_account.push.email
      audience              = local.ingest_audience
    }

    dynamic "no_wrapper" {
      for_each = each.value.no_wrapper ? [true] : []
      content {
        write_metadata = true
      }
    }
  }

  retry_policy {
    minimum_backoff = "${each.value.min_backoff_seconds}s"
    maximum_backoff = "${each.value.max_backoff_seconds}s"
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter[each.key].id
    max_delivery_attempts = each.value.max_delivery_attempts
  }

  # A push subscription whose endpoint is briefly unhealthy must not expire.
  expiration_policy {
    ttl = ""
  }

  depends_on = [google_cloud_run_v2_service_iam_member.ingest_invoker_push]
}

# Pub/Sub acknowledges a dead-lettered message on the source subscription as
# its service agent.
resource "google_pubsub_subscription_iam_member" "dead_letter_subscriber" {
  for_each     = local.push_streams
  project      = var.project_id
  subscription = google_pubsub_subscription.push[each.key].name
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_service_agent
}

# Snapshot rotation (opt-in): creating a snapshot of a subscription needs
# consume on that subscription, granted here, plus pubsub.snapshots.create on
# the project, which the user grants (infra/README.md).
resource "google_pubsub_subscription_iam_member" "scheduler_snapshots" {
  for_each     = var.enable_snapshots ? local.push_streams : {}
  project      = var.project_id
  subscription = google_pubsub_subscription.push[each.key].name
  role         = "roles/pubsub.subscriber"
  member       = google_service_account.function["scheduler"].member
}

resource "google_pubsub_topic_iam_member" "replay_publisher" {
  for_each = toset(var.replay_topics)
  project  = element(split("/", each.value), 1)
  topic    = element(split("/", each.value), 3)
  role     = "roles/pubsub.publisher"
  member   = google_service_account.function["scheduler"].member
}
