output "ingest_url" {
  description = "Push endpoint of the ingest function."
  value       = module.cascade.ingest_url
}

output "api_url" {
  description = "URL of the Cascade API."
  value       = module.cascade.api_url
}

output "bucket" {
  description = "Log bucket."
  value       = module.cascade.bucket
}

output "topics" {
  description = "Publish here: the source topic of each stream."
  value       = module.cascade.topics
}

output "service_accounts" {
  description = "Identities the module created."
  value       = module.cascade.service_accounts
}
