use aduan_app::Aduan;
use std::sync::Arc;

/// What every handler gets. Axum clones the state for each request (and each extractor that
/// takes it), so it is one shared pointer: cloning `Aduan` itself bumped fifteen reference
/// counts that both cores share, about 4 % of the server's time on tracking lookups
/// (BENCHMARKS.md, session 24).
#[derive(Clone)]
pub struct AppState {
    pub aduan: Arc<Aduan>,
}
