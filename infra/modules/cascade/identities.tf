# One identity per function, plus the identities whose only job is to carry an
# OIDC token to a function (push, Eventarc, Cloud Scheduler). None of them has
# a key: the functions run as theirs, and Google's service agents mint the
# tokens for the others.

locals {
  function_roles = toset(concat(["ingest", "api", "scheduler"], length(local.eventarc_streams) > 0 ? ["ingest-event"] : []))
}

resource "google_service_account" "function" {
  for_each     = local.function_roles
  project      = var.project_id
  account_id   = "${var.name_prefix}-${each.value}"
  display_name = "Cascade ${each.value} function"
  description  = "Runs the Cascade ${each.value} function; holds only the grants that function needs."
}

resource "google_service_account" "push" {
  project      = var.project_id
  account_id   = "${var.name_prefix}-push"
  display_name = "Cascade push identity"
  description  = "Identity in the OIDC token Pub/Sub attaches to each push to the ingest function."
}

resource "google_service_account" "eventarc" {
  count        = length(local.eventarc_streams) > 0 ? 1 : 0
  project      = var.project_id
  account_id   = "${var.name_prefix}-eventarc"
  display_name = "Cascade Eventarc identity"
  description  = "Identity in the OIDC token Eventarc's subscription attaches to each event for ingestEvent."
}

resource "google_service_account" "cron" {
  project      = var.project_id
  account_id   = "${var.name_prefix}-cron"
  display_name = "Cascade scheduler job identity"
  description  = "Identity in the OIDC token Cloud Scheduler attaches when it calls the scheduler function."
}

# Pub/Sub mints the push (and Eventarc) tokens as these accounts. Granted on
# each account, not the project, and only the OpenID token permission.
resource "google_service_account_iam_member" "push_token_minter" {
  service_account_id = google_service_account.push.name
  role               = "roles/iam.serviceAccountOpenIdTokenCreator"
  member             = local.pubsub_service_agent
}

resource "google_service_account_iam_member" "eventarc_token_minter" {
  count              = length(local.eventarc_streams) > 0 ? 1 : 0
  service_account_id = google_service_account.eventarc[0].name
  role               = "roles/iam.serviceAccountOpenIdTokenCreator"
  member             = local.pubsub_service_agent
}
