variable "project_id" {
  description = "Project to deploy Cascade into."
  type        = string
}

variable "region" {
  description = "Region of the functions and the bucket."
  type        = string
  default     = "europe-west1"
}

variable "api_token" {
  description = "Bearer token for the API; supply it with TF_VAR_api_token. It reaches Secret Manager through a write-only argument and never the state."
  type        = string
  sensitive   = true
  ephemeral   = true
}

variable "api_token_version" {
  description = "Increase after changing api_token so the new value is written."
  type        = number
  default     = 1
}

variable "api_invokers" {
  description = "Principals allowed to call the API, e.g. [\"group:data-team@example.com\"]."
  type        = list(string)
  default     = []
}
