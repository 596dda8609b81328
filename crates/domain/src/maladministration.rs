//! The forms of maladministration a complaint may allege, as the Ombudsman counts them in its
//! statistics (UU 37/2008 Pasal 1 angka 3 defines the term). A complaint that the agency does
//! not settle is the reporter's way to the Ombudsman, so the agency records what each complaint
//! alleges and reports it every month.

use crate::code_enum;

code_enum! {
    pub enum Maladministration {
        /// penundaan berlarut
        UndueDelay = "undue_delay",
        /// tidak memberikan pelayanan
        NoService = "no_service",
        /// tidak kompeten
        Incompetence = "incompetence",
        /// penyalahgunaan wewenang
        AbuseOfAuthority = "abuse_of_authority",
        /// penyimpangan prosedur
        ProceduralDeviation = "procedural_deviation",
        /// permintaan imbalan uang, barang atau jasa (pungli)
        ImproperRequest = "improper_request",
        /// tidak patut
        ImproperConduct = "improper_conduct",
        /// berpihak
        Partiality = "partiality",
        /// diskriminasi
        Discrimination = "discrimination",
        /// konflik kepentingan
        ConflictOfInterest = "conflict_of_interest",
    }
}

impl Maladministration {
    /// A set as it is stored: each form once, in the list's order.
    pub fn normalise(forms: &[Maladministration]) -> Vec<Maladministration> {
        let mut set = forms.to_vec();
        set.sort();
        set.dedup();
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_keeps_each_form_once_in_the_list_order() {
        let set = Maladministration::normalise(&[
            Maladministration::Discrimination,
            Maladministration::UndueDelay,
            Maladministration::Discrimination,
        ]);
        assert_eq!(
            set,
            vec![
                Maladministration::UndueDelay,
                Maladministration::Discrimination
            ]
        );
    }

    #[test]
    fn every_form_has_a_code_that_reads_back() {
        assert_eq!(Maladministration::ALL.len(), 10);
        for form in Maladministration::ALL {
            assert_eq!(Maladministration::parse(form.code()), Some(*form));
        }
    }
}
