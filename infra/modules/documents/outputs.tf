################################################################################
# Bucket
################################################################################

output "bucket_name" {
  description = "Name of the documents bucket (S3JSON_BUCKET)"
  value       = module.bucket.name
}

output "bucket_arn" {
  description = "ARN of the documents bucket"
  value       = module.bucket.arn
}

output "prefix" {
  description = "Key prefix of the documents (S3JSON_PREFIX)"
  value       = var.prefix
}

output "kms_key_arn" {
  description = "KMS key encrypting the bucket (null for SSE-S3)"
  value       = var.kms_key_arn
}

################################################################################
# Documents
################################################################################

output "document_keys" {
  description = "Keys of the uploaded documents"
  value       = sort([for o in aws_s3_object.documents : o.key])
}
