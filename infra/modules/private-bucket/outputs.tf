################################################################################
# Bucket
################################################################################

output "name" {
  description = "Name of the bucket"
  value       = aws_s3_bucket.this.bucket
}

output "arn" {
  description = "ARN of the bucket"
  value       = aws_s3_bucket.this.arn
}

output "configured_name" {
  description = "Name of the bucket, available only once its public access block, ownership controls, versioning, encryption and policy are in force: reference it (not `name`) in what must go into a hardened bucket, e.g. objects"
  value       = aws_s3_bucket.this.bucket

  # The lifecycle rule is left out: it only expires old versions later, and
  # the provider waits a while for it to read back.
  depends_on = [
    aws_s3_bucket_public_access_block.this,
    aws_s3_bucket_ownership_controls.this,
    aws_s3_bucket_versioning.this,
    aws_s3_bucket_server_side_encryption_configuration.this,
    aws_s3_bucket_policy.this,
  ]
}

################################################################################
# Encryption
################################################################################

output "sse_algorithm" {
  description = "Default encryption of new objects: `AES256` (SSE-S3) or `aws:kms` (SSE-KMS)"
  value       = one(one(aws_s3_bucket_server_side_encryption_configuration.this.rule).apply_server_side_encryption_by_default).sse_algorithm
}
