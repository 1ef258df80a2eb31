"""PostgreSQL triggers: an issued invoice, its lines and credit notes cannot be altered or deleted (F13).
Only the columns that move after issue (status, paid_on, the PDF file names) may change. SQLite, the
development fallback, relies on the model guards instead."""

from django.db import migrations

FROZEN = [
    "number", "membership_id", "fiscal_year", "kind", "method", "issue_date", "due_date", "notice_date",
    "total_yen", "buyer_name", "buyer_department", "buyer_person", "buyer_postal_code", "buyer_address",
    "member_number", "establishment_name", "payer_id", "tax_note", "is_sample", "created_at",
]

FORWARD = """
CREATE OR REPLACE FUNCTION fees_refuse_change() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'fees: issued invoices, lines and credit notes cannot be changed or deleted'
    USING ERRCODE = 'integrity_constraint_violation';
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION fees_invoice_frozen() RETURNS trigger AS $$
BEGIN
  IF (OLD_COLUMNS) IS DISTINCT FROM (NEW_COLUMNS) THEN
    RAISE EXCEPTION 'fees: an issued invoice cannot be changed (issue a credit note)'
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER fees_invoice_no_update BEFORE UPDATE ON fees_invoice
  FOR EACH ROW EXECUTE FUNCTION fees_invoice_frozen();
CREATE TRIGGER fees_invoice_no_delete BEFORE DELETE ON fees_invoice
  FOR EACH ROW EXECUTE FUNCTION fees_refuse_change();
CREATE TRIGGER fees_invoiceline_no_change BEFORE UPDATE OR DELETE ON fees_invoiceline
  FOR EACH ROW EXECUTE FUNCTION fees_refuse_change();
CREATE TRIGGER fees_creditnote_no_delete BEFORE DELETE ON fees_creditnote
  FOR EACH ROW EXECUTE FUNCTION fees_refuse_change();
""".replace("OLD_COLUMNS", ", ".join(f"OLD.{c}" for c in FROZEN)).replace(
    "NEW_COLUMNS", ", ".join(f"NEW.{c}" for c in FROZEN)
)

BACKWARD = """
DROP TRIGGER IF EXISTS fees_invoice_no_update ON fees_invoice;
DROP TRIGGER IF EXISTS fees_invoice_no_delete ON fees_invoice;
DROP TRIGGER IF EXISTS fees_invoiceline_no_change ON fees_invoiceline;
DROP TRIGGER IF EXISTS fees_creditnote_no_delete ON fees_creditnote;
DROP FUNCTION IF EXISTS fees_invoice_frozen();
DROP FUNCTION IF EXISTS fees_refuse_change();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("fees", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
