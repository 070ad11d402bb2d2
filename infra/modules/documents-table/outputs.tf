################################################################################
# Table
################################################################################

output "table_name" {
  description = "Name of the table (S3JSON_TABLE)"
  value       = aws_dynamodb_table.this.name
}

output "table_arn" {
  description = "ARN of the table"
  value       = aws_dynamodb_table.this.arn
}

output "deletion_protection" {
  description = "Whether DeleteTable is refused"
  value       = aws_dynamodb_table.this.deletion_protection_enabled
}

output "prefix" {
  description = "Prefix of the items' names (S3JSON_PREFIX)"
  value       = var.prefix
}

################################################################################
# Documents
################################################################################

output "document_names" {
  description = "Names (partition keys) of the loaded items"
  value       = sort([for k in keys(aws_dynamodb_table_item.documents) : "${var.prefix}${trimsuffix(k, ".json")}"])
}
