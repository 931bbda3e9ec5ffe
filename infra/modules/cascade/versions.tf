terraform {
  # 1.11: write-only arguments (secret_data_wo) and ephemeral variables keep
  # the API token out of plan and state.
  required_version = ">= 1.11"

  required_providers {
    google = {
      source = "hashicorp/google"
      # 7.x and 8.x carry every argument used here (secret_data_wo since 6.23,
      # deletion_policy on the resources since 8.0 is not used).
      version = ">= 7.0, < 9.0"
    }
  }
}
