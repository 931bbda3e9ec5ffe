# Cloud Scheduler drives compaction, retention, replay slices and snapshots.

resource "google_cloud_scheduler_job" "tick" {
  name             = "${var.name_prefix}-tick"
  project          = var.project_id
  region           = var.region
  description      = "Calls the Cascade scheduler function"
  schedule         = var.schedule
  time_zone        = var.schedule_time_zone
  attempt_deadline = "${min(var.scheduler.timeout_seconds, 1800)}s"

  retry_config {
    # The next tick does the same work; retrying a slow tick only piles up.
    retry_count = 0
  }

  http_target {
    uri         = google_cloudfunctions2_function.scheduler.url
    http_method = "POST"
    headers     = { "Content-Type" = "application/json" }
    body        = base64encode(jsonencode({ source = "cloud-scheduler" }))

    oidc_token {
      service_account_email = google_service_account.cron.email
      audience              = google_cloudfunctions2_function.scheduler.url
    }
  }

  depends_on = [google_cloud_run_v2_service_iam_member.scheduler_invoker_cron]
}
