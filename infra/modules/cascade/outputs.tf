output "ingest_url" {
  description = "URL of the ingest function (the push endpoint)."
  value       = google_cloudfunctions2_function.ingest.url
}

output "api_url" {
  description = "URL of the API function."
  value       = google_cloudfunctions2_function.api.url
}

output "scheduler_url" {
  description = "URL of the scheduler function."
  value       = google_cloudfunctions2_function.scheduler.url
}

output "bucket" {
  description = "Name of the log bucket."
  value       = google_storage_bucket.log.name
}

output "topics" {
  description = "Source topic of each stream (full names)."
  value       = local.stream_topic_ids
}

output "subscriptions" {
  description = "Push subscription of each push stream (full names)."
  value       = { for name, s in google_pubsub_subscription.push : name => s.id }
}

output "dead_letter_topics" {
  description = "Dead-letter topic of each push stream (full names)."
  value       = { for name, t in google_pubsub_topic.dead_letter : name => t.id }
}

output "service_accounts" {
  description = "Email of each identity the module created: one per function, plus push, cron and (with Eventarc streams) eventarc."
  value = merge(
    { for role, sa in google_service_account.function : role => sa.email },
    { push = google_service_account.push.email, cron = google_service_account.cron.email },
    length(google_service_account.eventarc) > 0 ? { eventarc = google_service_account.eventarc[0].email } : {},
  )
}

output "api_token_secret" {
  description = "Secret ID and pinned version holding the API bearer token, or null."
  value       = local.api_token_ref
}
