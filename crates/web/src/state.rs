use aduan_app::Aduan;

/// What every handler gets.
#[derive(Clone)]
pub struct AppState {
    pub aduan: Aduan,
}
