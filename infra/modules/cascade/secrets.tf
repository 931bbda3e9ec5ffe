# The API bearer token and the optional credentials secret. Values never pass
# through Terraform state: the token is written through a write-only argument
# from an ephemeral variable, or the user names a version they stored.

resource "google_secret_manager_secret" "api_token" {
  count     = var.manage_api_token ? 1 : 0
  project   = var.project_id
  secret_id = "${var.name_prefix}-api-token"
  labels    = local.labels

  replication {
    auto {}
  }
}

resource "google_secret_manager_secret_version" "api_token" {
  count                  = var.manage_api_token ? 1 : 0
  secret                 = google_secret_manager_secret.api_token[0].id
  secret_data_wo         = var.api_token
  secret_data_wo_version = var.api_token_version
}

locals {
  # Secret ID and pinned version number of the API token, wherever it lives.
  api_token_ref = var.manage_api_token ? {
    secret_id = google_secret_manager_secret.api_token[0].secret_id
    version   = google_secret_manager_secret_version.api_token[0].version
  } : var.api_token_secret

  # The version the api function reads at cold start (CASCADE_API_TOKEN_SECRET):
  # a version number, never "latest", so a new token takes effect with the
  # apply that pins it. Empty: IAM invoker only.
  api_token_version_name = local.api_token_ref == null ? "" : "projects/${var.project_id}/secrets/${local.api_token_ref.secret_id}/versions/${local.api_token_ref.version}"
}

# Only the api function reads the token.
resource "google_secret_manager_secret_iam_member" "api_token_accessor" {
  count     = var.manage_api_token || var.api_token_secret != null ? 1 : 0
  project   = var.project_id
  secret_id = local.api_token_ref.secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.function["api"].member
}

# Every function acts with the credentials when they are configured.
resource "google_secret_manager_secret_iam_member" "credentials_accessor" {
  for_each  = var.credentials_secret == null ? toset([]) : local.function_roles
  project   = var.project_id
  secret_id = var.credentials_secret.secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.function[each.value].member
}
