"""Writes of the staff operations, one module per area (this package re-exports them):
imports (preview / dry run / import), exports (jobs), announcements and the information service, resources."""

from backoffice.services.announcements import (
    confirm_subscription,
    deliver_dispatch,
    publish_announcement,
    request_subscription,
    retry_dispatch,
    send_announcement,
    stop_subscription,
    subscriber_from_unsubscribe_token,
    subscription_token,
    unsubscribe,
    unsubscribe_token,
    withdraw_announcement,
)
from backoffice.services.exports import (
    exports_for,
    model_admin_for,
    purge_exports,
    record_direct_export,
    request_export,
    run_export,
    sync_limit,
)
from backoffice.services.imports import (
    commit_import,
    discard_import,
    link_council_record,
    preview_import,
    relink_council_records,
    report_rows,
    same_file_imports,
)
from backoffice.services.resources import publish_resource, save_resource, unpublish_resource

__all__ = [
    "commit_import",
    "confirm_subscription",
    "deliver_dispatch",
    "discard_import",
    "exports_for",
    "link_council_record",
    "model_admin_for",
    "preview_import",
    "publish_announcement",
    "publish_resource",
    "purge_exports",
    "record_direct_export",
    "relink_council_records",
    "report_rows",
    "request_export",
    "request_subscription",
    "retry_dispatch",
    "run_export",
    "same_file_imports",
    "save_resource",
    "send_announcement",
    "stop_subscription",
    "subscriber_from_unsubscribe_token",
    "subscription_token",
    "sync_limit",
    "unpublish_resource",
    "unsubscribe",
    "unsubscribe_token",
    "withdraw_announcement",
]
