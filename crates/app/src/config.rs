//! Loading the organisation and the holiday calendar from TOML.

use crate::AppError;
use aduan_domain::Organisation;
use aduan_domain::calendar::{Calendar, HolidayTable, SHIPPED_HOLIDAYS};
use time::UtcOffset;

/// The Ditjen Perumahan organisation of DOMAIN.md, used when nothing else is configured.
pub const DEFAULT_ORGANISATION: &str = include_str!("../../../config/organisation.toml");

pub fn parse_organisation(text: &str) -> Result<Organisation, AppError> {
    let org: Organisation =
        toml::from_str(text).map_err(|e| AppError::Config(format!("organisation: {e}")))?;
    org.validate()
        .map_err(|e| AppError::Config(format!("organisation: {e}")))?;
    Ok(org)
}

pub fn calendar_for(org: &Organisation) -> Result<Calendar, AppError> {
    let table: HolidayTable =
        toml::from_str(SHIPPED_HOLIDAYS).map_err(|e| AppError::Config(format!("holidays: {e}")))?;
    let offset = UtcOffset::from_hms(org.agency.utc_offset_hours, 0, 0)
        .map_err(|e| AppError::Config(format!("utc_offset_hours: {e}")))?;
    Ok(Calendar::new(offset, &table))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_organisation_matches_domain_md() {
        let org = parse_organisation(DEFAULT_ORGANISATION).unwrap();
        assert_eq!(org.agency.coordinator_unit, "hukmas");
        assert_eq!(org.categories.len(), 9);
        assert_eq!(
            org.category("integritas").unwrap().lead_unit,
            "kepatuhan_intern"
        );
        assert!(org.category("integritas").unwrap().restricted);
        assert_eq!(org.deadlines.verify, 3);
        assert!(org.subtree("setditjen").contains(&"hukmas".to_string()));
    }

    #[test]
    fn broken_organisation_files_are_refused_with_the_reason() {
        let err = parse_organisation("[agency]\nname = 1").unwrap_err();
        assert!(err.to_string().contains("organisation"));
        let bad = DEFAULT_ORGANISATION.replace("lead_unit = \"rusun\"", "lead_unit = \"gone\"");
        assert!(
            parse_organisation(&bad)
                .unwrap_err()
                .to_string()
                .contains("gone")
        );
    }
}
