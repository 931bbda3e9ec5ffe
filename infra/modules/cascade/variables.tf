variable "project_id" {
  description = "Project that holds every Cascade resource."
  type        = string
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a project ID (6-30 lower-case letters, digits and hyphens)."
  }
}

variable "region" {
  description = "Region of the functions, the scheduler job and (unless bucket_location is set) the bucket."
  type        = string
  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region must be a Google Cloud region such as europe-west1."
  }
}

variable "name_prefix" {
  description = "Prefix of every resource name; lets several Cascade deployments share a project."
  type        = string
  default     = "cascade"
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,14}$", var.name_prefix))
    error_message = "name_prefix must start with a letter and hold 1-15 lower-case letters, digits or hyphens (service account IDs are at most 30 characters)."
  }
}

variable "labels" {
  description = "Labels added to every resource that takes labels."
  type        = map(string)
  default     = {}
}

variable "source_zip" {
  description = "Path of the function source archive built by `npm run package` (dist/cascade-functions.zip)."
  type        = string
  validation {
    condition     = endswith(var.source_zip, ".zip")
    error_message = "source_zip must name the .zip file written by `npm run package`."
  }
}

variable "runtime" {
  description = "Cloud Run functions runtime; Node.js 22 or newer (Cascade's TypeScript runs with Node's type stripping)."
  type        = string
  default     = "nodejs24"
  validation {
    condition     = can(regex("^nodejs(2[2-9]|[3-9][0-9])$", var.runtime))
    error_message = "runtime must be nodejs22 or newer."
  }
}

variable "build_service_account" {
  description = "Full resource name (projects/P/serviceAccounts/EMAIL) of the service account Cloud Build uses to build the functions; null keeps the project's default build identity. It is granted read access to the source bucket."
  type        = string
  default     = null
  validation {
    condition     = var.build_service_account == null || can(regex("^projects/[^/]+/serviceAccounts/[^/]+@[^/]+$", var.build_service_account))
    error_message = "build_service_account must be projects/PROJECT/serviceAccounts/EMAIL."
  }
}

variable "bucket_name" {
  description = "Name of the log bucket; null means \"<project_id>-<name_prefix>-log\"."
  type        = string
  default     = null
  validation {
    condition     = var.bucket_name == null || can(regex("^[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be 3-63 lower-case letters, digits, hyphens or underscores."
  }
}

variable "bucket_location" {
  description = "Location of the log bucket (region, dual-region or multi-region); null means var.region."
  type        = string
  default     = null
}

variable "kms_key_name" {
  description = "Cloud KMS key (projects/P/locations/L/keyRings/R/cryptoKeys/K) for customer-managed encryption of both buckets; null keeps Google-managed encryption. The Cloud Storage service agent is granted use of this key only."
  type        = string
  default     = null
  validation {
    condition     = var.kms_key_name == null || can(regex("^projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+$", var.kms_key_name))
    error_message = "kms_key_name must be projects/P/locations/L/keyRings/R/cryptoKeys/K."
  }
}

variable "object_prefix" {
  description = "Prefix of every object Cascade writes in the log bucket: empty, or path segments each ending in /."
  type        = string
  default     = ""
  validation {
    condition     = can(regex("^([A-Za-z0-9._-]+/)*$", var.object_prefix))
    error_message = "object_prefix must be empty or path segments each ending in /."
  }
}

variable "log_retention_days" {
  description = "Cascade's own retention (CASCADE_RETENTION_DAYS): the scheduler deletes compacted segments whose newest record is older than this and advances the start offset. 0 keeps everything."
  type        = number
  default     = 0
  validation {
    condition     = var.log_retention_days >= 0 && floor(var.log_retention_days) == var.log_retention_days
    error_message = "log_retention_days must be a whole number, 0 or more."
  }
}

variable "retention_days" {
  description = "Bucket retention policy in days (objects cannot be deleted or replaced before this age); 0 means none. Compaction deletes merged small objects, so a retention policy also keeps those until it expires: prefer log_retention_days unless you need a compliance lock."
  type        = number
  default     = 0
  validation {
    condition     = var.retention_days >= 0 && var.retention_days <= 36500 && floor(var.retention_days) == var.retention_days
    error_message = "retention_days must be a whole number of days from 0 to 36500."
  }
}

variable "soft_delete_days" {
  description = "How long deleted objects stay restorable (soft delete). 0 turns it off: compaction deletes many small objects, and soft-deleted bytes are billed. Otherwise 7 to 90."
  type        = number
  default     = 0
  validation {
    condition     = var.soft_delete_days == 0 || (var.soft_delete_days >= 7 && var.soft_delete_days <= 90 && floor(var.soft_delete_days) == var.soft_delete_days)
    error_message = "soft_delete_days must be 0 or a whole number from 7 to 90."
  }
}

variable "quarantine_days" {
  description = "Quarantined messages (well-formed but breaking a stream rule) are deleted this many days after they were written; 0 keeps them."
  type        = number
  default     = 30
  validation {
    condition     = var.quarantine_days >= 0 && floor(var.quarantine_days) == var.quarantine_days
    error_message = "quarantine_days must be a whole number, 0 or more."
  }
}

variable "streams" {
  description = <<-EOT
    The streams to keep. Each gets a topic (created unless `topic` names an existing one as projects/P/topics/T),
    a dead-letter topic, and either a push subscription to the ingest function (delivery = "push", the default)
    or an Eventarc trigger on the ingestEvent function (delivery = "eventarc").
  EOT
  type = list(object({
    name                    = string
    topic                   = optional(string)
    delivery                = optional(string, "push")
    partitions              = optional(number, 1)
    partition_key_attribute = optional(string)
    linger_ms               = optional(number, 20)
    ack_deadline_seconds    = optional(number, 60)
    min_backoff_seconds     = optional(number, 10)
    max_backoff_seconds     = optional(number, 600)
    max_delivery_attempts   = optional(number, 10)
    no_wrapper              = optional(bool, false)
    message_retention       = optional(string, "604800s")
  }))
  validation {
    condition     = length(var.streams) >= 1 && length(distinct([for s in var.streams : s.name])) == length(var.streams)
    error_message = "streams must hold at least one stream, and stream names must be unique."
  }
  validation {
    condition     = alltrue([for s in var.streams : can(regex("^[a-z0-9][a-z0-9-]{0,29}$", s.name))])
    error_message = "Each stream name must be 1-30 lower-case letters, digits or hyphens, starting with a letter or digit."
  }
  validation {
    condition     = alltrue([for s in var.streams : contains(["push", "eventarc"], s.delivery)])
    error_message = "delivery must be \"push\" or \"eventarc\"."
  }
  validation {
    condition     = alltrue([for s in var.streams : s.topic == null || can(regex("^projects/[^/]+/topics/[^/]+$", s.topic))])
    error_message = "topic must be a full topic name, projects/PROJECT/topics/TOPIC."
  }
  validation {
    condition     = alltrue([for s in var.streams : s.partitions >= 1 && s.partitions <= 4096 && floor(s.partitions) == s.partitions])
    error_message = "partitions must be a whole number from 1 to 4096."
  }
  validation {
    condition     = alltrue([for s in var.streams : s.linger_ms >= 0 && s.linger_ms <= 10000])
    error_message = "linger_ms must be from 0 to 10000."
  }
  validation {
    condition     = alltrue([for s in var.streams : s.ack_deadline_seconds >= 10 && s.ack_deadline_seconds <= 600])
    error_message = "ack_deadline_seconds must be from 10 to 600 (Pub/Sub's limits)."
  }
  validation {
    condition = alltrue([for s in var.streams :
      s.min_backoff_seconds >= 0 && s.max_backoff_seconds <= 600 && s.min_backoff_seconds <= s.max_backoff_seconds
    ])
    error_message = "Backoffs must satisfy 0 <= min_backoff_seconds <= max_backoff_seconds <= 600."
  }
  validation {
    condition     = alltrue([for s in var.streams : s.max_delivery_attempts >= 5 && s.max_delivery_attempts <= 100])
    error_message = "max_delivery_attempts must be from 5 to 100 (Pub/Sub's limits)."
  }
  validation {
    condition     = alltrue([for s in var.streams : can(regex("^[0-9]+s$", s.message_retention))])
    error_message = "message_retention must be a duration in seconds such as \"604800s\"."
  }
}

variable "ingest" {
  description = "Sizing of the ingest function (and of ingestEvent). Concurrency must stay high so that group commit can batch requests; Cloud Run needs at least 1 CPU for concurrency above 1."
  type = object({
    memory          = optional(string, "1Gi")
    cpu             = optional(string, "1")
    concurrency     = optional(number, 250)
    min_instances   = optional(number, 0)
    max_instances   = optional(number, 20)
    timeout_seconds = optional(number, 60)
  })
  default = {}
  validation {
    condition     = var.ingest.concurrency >= 1 && var.ingest.concurrency <= 1000
    error_message = "ingest.concurrency must be from 1 to 1000."
  }
  validation {
    condition     = var.ingest.concurrency == 1 || tonumber(var.ingest.cpu) >= 1
    error_message = "ingest.cpu must be at least 1 when ingest.concurrency is above 1."
  }
  validation {
    condition     = var.ingest.min_instances >= 0 && var.ingest.min_instances <= var.ingest.max_instances
    error_message = "ingest.min_instances must be from 0 to ingest.max_instances."
  }
  validation {
    condition     = var.ingest.timeout_seconds >= 1 && var.ingest.timeout_seconds <= 3600
    error_message = "ingest.timeout_seconds must be from 1 to 3600."
  }
}

variable "api" {
  description = "Sizing of the api function."
  type = object({
    memory          = optional(string, "1Gi")
    cpu             = optional(string, "1")
    concurrency     = optional(number, 80)
    min_instances   = optional(number, 0)
    max_instances   = optional(number, 10)
    timeout_seconds = optional(number, 300)
  })
  default = {}
  validation {
    condition     = var.api.concurrency >= 1 && var.api.concurrency <= 1000 && (var.api.concurrency == 1 || tonumber(var.api.cpu) >= 1)
    error_message = "api.concurrency must be from 1 to 1000, with api.cpu at least 1 when it is above 1."
  }
  validation {
    condition     = var.api.min_instances >= 0 && var.api.min_instances <= var.api.max_instances && var.api.timeout_seconds >= 1 && var.api.timeout_seconds <= 3600
    error_message = "api needs 0 <= min_instances <= max_instances and a timeout from 1 to 3600 seconds."
  }
}

variable "scheduler" {
  description = "Sizing of the scheduler function (compaction, retention, replay slices, snapshots). One instance at a time: its steps are idempotent, but running them twice at once wastes work."
  type = object({
    memory          = optional(string, "2Gi")
    cpu             = optional(string, "1")
    timeout_seconds = optional(number, 540)
    max_instances   = optional(number, 1)
  })
  default = {}
  validation {
    condition     = var.scheduler.timeout_seconds >= 120 && var.scheduler.timeout_seconds <= 3600 && var.scheduler.max_instances >= 1
    error_message = "scheduler needs a timeout from 120 to 3600 seconds (a tick's budget is the timeout less a minute) and at least one instance."
  }
}

variable "internal_ingress" {
  description = "Accept only internal traffic on ingest and scheduler: Pub/Sub push, Eventarc and Cloud Scheduler of this project count as internal, so nothing on the internet reaches them even with a token. Turn off only when pushes come from a subscription in another project."
  type        = bool
  default     = true
}

variable "schedule" {
  description = "Cron schedule of the Cloud Scheduler job that calls the scheduler function."
  type        = string
  default     = "*/5 * * * *"
  validation {
    condition     = length(split(" ", trimspace(var.schedule))) == 5
    error_message = "schedule must be a five-field cron expression."
  }
}

variable "schedule_time_zone" {
  description = "Time zone of the schedule (tz database name)."
  type        = string
  default     = "Etc/UTC"
}

variable "log_level" {
  description = "Lowest severity the functions log (CASCADE_LOG_LEVEL)."
  type        = string
  default     = "info"
  validation {
    condition     = contains(["debug", "info", "warn", "error"], var.log_level)
    error_message = "log_level must be debug, info, warn or error."
  }
}

variable "manage_api_token" {
  description = "Create a Secret Manager secret for the API bearer token and store api_token in it. A separate switch because api_token is ephemeral, and ephemeral values cannot decide how many resources exist."
  type        = bool
  default     = false
}

variable "api_token" {
  description = "Bearer token the API accepts (with manage_api_token), stored as a new secret version through a write-only argument: it is never written to the plan or the state. Supply it with TF_VAR_api_token."
  type        = string
  default     = null
  sensitive   = true
  ephemeral   = true
}

variable "api_token_version" {
  description = "Increase to store a new api_token value (write-only arguments are only sent when this changes)."
  type        = number
  default     = 1
  validation {
    condition     = var.api_token_version >= 1 && floor(var.api_token_version) == var.api_token_version
    error_message = "api_token_version must be a whole number, 1 or more."
  }
}

variable "api_token_secret" {
  description = "An existing secret (its secret ID in this project) and pinned version number holding the API bearer token; used instead of api_token."
  type = object({
    secret_id = string
    version   = string
  })
  default = null
  validation {
    condition     = var.api_token_secret == null || can(regex("^[0-9]+$", var.api_token_secret.version))
    error_message = "api_token_secret.version must be a version number: a pinned version, never \"latest\"."
  }
}

variable "credentials_secret" {
  description = "An existing secret (its secret ID in this project) and pinned version number holding a service-account JSON the functions should act as, delivered as CASCADE_CREDENTIALS_JSON. Null: the functions use their own service accounts (recommended)."
  type = object({
    secret_id = string
    version   = string
  })
  default = null
  validation {
    condition     = var.credentials_secret == null || can(regex("^[0-9]+$", var.credentials_secret.version))
    error_message = "credentials_secret.version must be a version number: a pinned version, never \"latest\"."
  }
}

variable "api_invokers" {
  description = "Principals allowed to call the API (user:…, group:…, serviceAccount:…, principal://…). Public principals are refused."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for m in var.api_invokers : !contains(["allUsers", "allAuthenticatedUsers"], m)])
    error_message = "api_invokers must not contain allUsers or allAuthenticatedUsers."
  }
}

variable "replay_topics" {
  description = "Topics (projects/P/topics/T) replay jobs may publish to; the scheduler function gets publisher on each, nothing else."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for t in var.replay_topics : can(regex("^projects/[^/]+/topics/[^/]+$", t))])
    error_message = "replay_topics must be full topic names, projects/PROJECT/topics/TOPIC."
  }
}

variable "enable_snapshots" {
  description = "Let the scheduler function rotate Pub/Sub snapshots of the push subscriptions. Creating a snapshot needs pubsub.snapshots.create on the PROJECT, which this module never grants: see infra/README.md for the one grant to make yourself."
  type        = bool
  default     = false
}
