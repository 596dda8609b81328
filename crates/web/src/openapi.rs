//! The OpenAPI 3.1 document of API v1, generated from the handlers and kept in the repository
//! (`docs/openapi.json`) so that changes to the contract show up in review.

use crate::routes::{admin, auth, files, imports, public, staff, stats};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Aduan API",
        version = "1",
        description = "Public complaints and information requests. Public endpoints need no login; staff endpoints need a bearer token from POST /api/v1/auth/token. Errors are JSON {code, message_id, message_en, fields}."
    ),
    paths(
        public::create_case, public::track, public::add_info, public::feedback, public::organisation, public::public_statistics,
        auth::login, auth::logout, auth::me,
        staff::list_cases, staff::get_case, staff::duplicates, staff::act, staff::intake, staff::backlog, staff::monthly_stats, stats::statistics, stats::statistics_file, stats::monthly_report, stats::info_service_report,
        files::upload, files::staff_download, files::reporter_download,
        imports::import_lapor, imports::import_social, imports::export_lapor,
        admin::calendar, admin::put_calendar_day, admin::delete_calendar_day,
        admin::email_templates, admin::put_email_template, admin::reset_email_template,
        admin::jobs, admin::job_counts, admin::retry_job,
        admin::issue_api_key, admin::api_keys, admin::revoke_api_key,
        admin::quarantine, admin::retry_quarantined, admin::discard_quarantined,
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "public", description = "For citizens, without an account"),
        (name = "auth", description = "Staff login"),
        (name = "staff", description = "For staff, scoped by role and unit"),
        (name = "admin", description = "For administrators: calendar, templates, jobs"),
        (name = "imports", description = "Reports from SP4N-LAPOR! and messages from social media in; updates for LAPOR! out"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The document as pretty JSON, exactly as committed in docs/openapi.json.
pub fn document() -> String {
    ApiDoc::openapi().to_pretty_json().unwrap_or_default() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed document must match the code. Regenerate with
    /// `UPDATE_OPENAPI=1 cargo test -p aduan-web openapi`.
    #[test]
    fn openapi_document_matches_the_committed_snapshot() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json");
        let generated = document();
        if std::env::var_os("UPDATE_OPENAPI").is_some() {
            std::fs::write(path, &generated).unwrap();
        }
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(generated.contains("\"openapi\": \"3.1"), "not OpenAPI 3.1");
        assert_eq!(
            committed, generated,
            "docs/openapi.json is out of date: run UPDATE_OPENAPI=1 cargo test -p aduan-web openapi"
        );
    }
}
