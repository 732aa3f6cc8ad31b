# RDS MySQL (MariaDB's role in the lab). The shop reads one DATABASE_URL; it is kept in Secrets
# Manager and handed to the tasks as a secret (never in the task definition).

data "aws_secretsmanager_random_password" "db" {
  password_length     = 32
  exclude_punctuation = true
}

resource "aws_db_subnet_group" "main" {
  name       = "${var.name_prefix}-${var.environment}"
  subnet_ids = aws_subnet.private[*].id
}

resource "aws_db_instance" "main" {
  identifier                      = "${var.name_prefix}-${var.environment}"
  engine                          = "mysql"
  engine_version                  = "8.0"
  instance_class                  = var.db_instance_class
  allocated_storage               = 20
  max_allocated_storage           = 100
  storage_encrypted               = true
  db_name                         = "shop"
  username                        = "shop"
  password                        = data.aws_secretsmanager_random_password.db.random_password
  db_subnet_group_name            = aws_db_subnet_group.main.name
  vpc_security_group_ids          = [aws_security_group.db.id]
  multi_az                        = var.db_multi_az
  publicly_accessible             = false
  backup_retention_period         = 7
  deletion_protection             = var.deletion_protection
  skip_final_snapshot             = !var.deletion_protection
  final_snapshot_identifier       = var.deletion_protection ? "${var.name_prefix}-${var.environment}-final" : null
  performance_insights_enabled    = true
  enabled_cloudwatch_logs_exports = local.db_log_exports
  lifecycle {
    ignore_changes = [password]
  }
  depends_on = [aws_cloudwatch_log_group.rds]
}

locals {
  db_log_exports = ["error", "slowquery"]
}

# RDS would create these log groups itself, without retention: created first, with it.
resource "aws_cloudwatch_log_group" "rds" {
  for_each          = toset(local.db_log_exports)
  name              = "/aws/rds/instance/${var.name_prefix}-${var.environment}/${each.key}"
  retention_in_days = var.log_retention_days
}

resource "aws_secretsmanager_secret" "database_url" {
  name = "${var.name_prefix}/${var.environment}/database-url"
}

resource "aws_secretsmanager_secret_version" "database_url" {
  secret_id     = aws_secretsmanager_secret.database_url.id
  secret_string = "mysql://shop:${data.aws_secretsmanager_random_password.db.random_password}@${aws_db_instance.main.endpoint}/shop"
  lifecycle {
    ignore_changes = [secret_string]
  }
}
