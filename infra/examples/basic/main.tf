# Two streams: "orders" pushed to the ingest function, "audit" delivered
# through Eventarc to ingestEvent. Build the archive first: npm run package.

module "cascade" {
  source = "../../modules/cascade"

  project_id  = var.project_id
  region      = var.region
  name_prefix = "cascade"
  labels      = { env = "example" }
  source_zip  = "${path.root}/../../../dist/cascade-functions.zip"

  quarantine_days = 30
  retention_days  = 0

  streams = [
    {
      name                    = "orders"
      partitions              = 4
      partition_key_attribute = "customer"
    },
    {
      name     = "audit"
      delivery = "eventarc"
    },
  ]

  ingest = {
    concurrency   = 250
    max_instances = 20
  }

  manage_api_token  = true
  api_token         = var.api_token
  api_token_version = var.api_token_version
  api_invokers      = var.api_invokers
}
