//! `aduan demo-data N`: realistic Indonesian cases over three years. Each history is made by
//! the real lifecycle (`decide` and `apply`), so timelines, due times and outcomes are what Aduan
//! itself would have produced; the cases are then imported in bulk.
//!
//! Access codes of demo cases are derived from the seed and the ticket ([`demo_access_code`]),
//! so that benchmarks can track any demo case. Never use demo data for real reports.

use aduan_app::SystemClock;
use aduan_domain::intake::{CaseInput, ReporterInput, validate};
use aduan_domain::lifecycle::{Context, Decision, RejectReason, apply, decide};
use aduan_domain::{
    AccessCode, Action, Actor, Calendar, Change, Channel, Event, Location, Organisation, Role,
    Ticket, Workflow,
};
use aduan_store::ImportedCase;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

/// SplitMix64: small, fast and reproducible; demo data needs no cryptographic randomness.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const BLOCKS: &[&str] = &["A", "B", "C", "D"];
const FIRST_NAMES: &[&str] = &[
    "Siti", "Budi", "Agus", "Dewi", "Rina", "Joko", "Wahyu", "Sri", "Putri", "Andi", "Fitri",
    "Hendra", "Nur", "Yusuf", "Ratna", "Eko", "Indah", "Rudi", "Ayu", "Bambang", "Lestari",
    "Fajar", "Maria", "Yohanes", "Made", "Ketut",
];
const LAST_NAMES: &[&str] = &[
    "Santoso",
    "Wijaya",
    "Lestari",
    "Saputra",
    "Hidayat",
    "Kurniawan",
    "Pratama",
    "Siregar",
    "Nasution",
    "Simanjuntak",
    "Putra",
    "Rahmawati",
    "Setiawan",
    "Gunawan",
    "Harahap",
    "Wibowo",
    "Susanti",
    "Sinaga",
    "Manurung",
    "Suryani",
];
const PLACES: &[(&str, &str, &str)] = &[
    ("DKI Jakarta", "Jakarta Timur", "Cakung"),
    ("DKI Jakarta", "Jakarta Utara", "Cilincing"),
    ("Jawa Barat", "Kabupaten Bekasi", "Cikarang Utara"),
    ("Jawa Barat", "Kota Bandung", "Antapani"),
    ("Jawa Barat", "Kabupaten Bogor", "Cibinong"),
    ("Jawa Tengah", "Kota Semarang", "Tembalang"),
    ("Jawa Timur", "Kota Surabaya", "Rungkut"),
    ("Banten", "Kota Tangerang", "Cipondoh"),
    ("Sumatera Utara", "Kota Medan", "Medan Marelan"),
    ("Sulawesi Selatan", "Kota Makassar", "Tamalanrea"),
    ("Kalimantan Timur", "Kota Balikpapan", "Balikpapan Utara"),
    ("Nusa Tenggara Timur", "Kota Kupang", "Oebobo"),
    ("Aceh", "Kota Banda Aceh", "Syiah Kuala"),
    ("Papua", "Kota Jayapura", "Abepura"),
    ("Bali", "Kabupaten Badung", "Kuta Selatan"),
];

/// Titles and the body of a complaint per category: what people actually write about.
fn topics(category: &str) -> &'static [(&'static str, &'static str)] {
    match category {
        "rusun" => &[
            (
                "Lift rusunawa tidak berfungsi",
                "Lift di blok {blok} rusunawa sudah {n} minggu tidak berfungsi. Warga lansia dan ibu hamil harus naik tangga sampai lantai lima. Pengelola hanya menjawab sedang menunggu suku cadang.",
            ),
            (
                "Kebocoran atap rusun",
                "Atap unit kami di lantai teratas bocor setiap hujan sejak {n} bulan lalu. Plafon mulai rusak dan dinding berjamur. Sudah dilaporkan ke pengelola namun belum ada perbaikan.",
            ),
            (
                "Tarif sewa rusunawa naik tanpa pemberitahuan",
                "Tarif sewa unit rusunawa naik tanpa sosialisasi kepada penghuni. Kami meminta penjelasan dasar kenaikan dan rincian biaya pengelolaan.",
            ),
        ],
        "swadaya" => &[
            (
                "Dana BSPS belum cair",
                "Saya terdaftar sebagai penerima Bantuan Stimulan Perumahan Swadaya tahun ini, tetapi dana belum cair padahal tetangga sudah menerima. Mohon kejelasan status pencairan.",
            ),
            (
                "Material BSPS tidak sesuai",
                "Material bangunan dari toko penyedia BSPS tidak sesuai spesifikasi: semen kurang dan kayu lapuk. Fasilitator tidak menanggapi keluhan warga.",
            ),
            (
                "Pungutan dalam program BSPS",
                "Ada oknum yang meminta uang administrasi kepada penerima BSPS di desa kami sebelum bantuan diberikan. Apakah pungutan ini resmi?",
            ),
        ],
        "rumah_khusus" => &[
            (
                "Rumah khusus korban bencana belum dihuni",
                "Rumah khusus untuk korban banjir di kecamatan kami sudah selesai dibangun {n} bulan lalu tetapi belum diserahkan kepada warga. Warga masih tinggal di tenda pengungsian.",
            ),
            (
                "Air bersih di rumah khusus nelayan",
                "Kompleks rumah khusus nelayan belum memiliki sambungan air bersih. Warga harus membeli air setiap hari dengan harga mahal.",
            ),
        ],
        "rumah_umum_komersial" => &[
            (
                "Pengembang belum serah terima rumah",
                "Saya sudah melunasi uang muka dan akad KPR subsidi FLPP {n} bulan lalu, tetapi pengembang belum menyerahkan kunci. Alasan pengembang selalu berubah.",
            ),
            (
                "Rumah subsidi rusak setelah serah terima",
                "Dinding rumah subsidi retak dan lantai turun hanya {n} bulan setelah serah terima. Pengembang menolak memperbaiki dengan alasan masa garansi habis.",
            ),
            (
                "Sertifikat rumah belum diterima",
                "Sertifikat rumah KPR bersubsidi belum dipecah oleh pengembang sehingga kami tidak bisa mengurus balik nama.",
            ),
        ],
        "sejuta_rumah" => &[
            (
                "Data Program Sejuta Rumah di daerah kami",
                "Kami ingin mengetahui capaian Program Sejuta Rumah di kabupaten kami dan bagaimana masyarakat berpenghasilan rendah dapat mendaftar.",
            ),
            (
                "Lokasi perumahan program tidak layak",
                "Lokasi perumahan yang diklaim sebagai bagian Program Sejuta Rumah berada di daerah rawan banjir dan jauh dari akses jalan.",
            ),
        ],
        "kebijakan" => &[
            (
                "Persyaratan PBG untuk rumah tapak",
                "Mohon penjelasan persyaratan Persetujuan Bangunan Gedung untuk perumahan tapak skala kecil dan berapa lama prosesnya.",
            ),
            (
                "Batas penghasilan MBR",
                "Berapa batas penghasilan masyarakat berpenghasilan rendah yang berlaku tahun ini untuk KPR bersubsidi, dan apa dasar peraturannya?",
            ),
        ],
        "integritas" => &[
            (
                "Oknum meminta imbalan",
                "Seorang oknum yang mengaku pegawai meminta imbalan agar berkas bantuan kami diproses lebih cepat. Kejadian di kantor pada hari kerja.",
            ),
            (
                "Penyalahgunaan wewenang verifikasi",
                "Petugas verifikasi diduga meloloskan penerima bantuan yang masih kerabatnya padahal tidak memenuhi syarat.",
            ),
        ],
        "informasi_umum" => &[
            (
                "Cara mengajukan bantuan perumahan",
                "Bagaimana cara mengajukan bantuan perumahan bagi keluarga kami yang tinggal di rumah tidak layak huni? Ke mana kami harus mendaftar?",
            ),
            (
                "Jam layanan tatap muka",
                "Kapan jam layanan pengaduan tatap muka dan dokumen apa saja yang perlu dibawa?",
            ),
        ],
        _ => &[
            (
                "Saran perbaikan layanan",
                "Kami menyarankan agar informasi program perumahan disampaikan juga melalui kantor kelurahan karena banyak warga tidak mengakses internet.",
            ),
            (
                "Pertanyaan lain",
                "Kami ingin menanyakan hal yang belum tercantum dalam kategori lain terkait perumahan di wilayah kami.",
            ),
        ],
    }
}

/// The categories of the shipped organisation that have topics of their own.
const TOPIC_CATEGORIES: &[&str] = &[
    "rusun",
    "swadaya",
    "rumah_khusus",
    "rumah_umum_komersial",
    "sejuta_rumah",
    "kebijakan",
    "integritas",
    "informasi_umum",
    "lainnya",
];

/// A report as citizens write them, for load tests that submit cases: the category, title,
/// description and place of a demo topic drawn from `n`, and its reporter. Many people
/// reporting at once write different things; a flood of one text would make every search read
/// past it, and of one reporter would pile every contact on one key.
pub struct SampleReport {
    pub category: &'static str,
    pub title: &'static str,
    pub description: String,
    pub place: (&'static str, &'static str, &'static str),
    /// Name, phone and (for most) e-mail address.
    pub reporter: (String, String, Option<String>),
}

pub fn sample_report(n: u64) -> SampleReport {
    let mut rng = Rng(n);
    let category = *rng.pick(TOPIC_CATEGORIES);
    let (title, body) = *rng.pick(topics(category));
    let place = *rng.pick(PLACES);
    let description = topic_text(body, &mut rng);
    let name = format!("{} {}", rng.pick(FIRST_NAMES), rng.pick(LAST_NAMES));
    let phone = format!("08{}", 1_100_000_000 + rng.below(8_000_000_000));
    let email = rng.chance(60).then(|| {
        format!(
            "{}{}@contoh.id",
            name.to_lowercase().replace(' ', "."),
            rng.below(1000)
        )
    });
    SampleReport {
        category,
        title,
        description: format!("{description} Mohon tindak lanjut."),
        place,
        reporter: (name, phone, email),
    }
}

/// A topic's body with its block and number of weeks or months filled in.
fn topic_text(body: &str, rng: &mut Rng) -> String {
    let block = BLOCKS[rng.below(BLOCKS.len() as u64) as usize];
    body.replace("{n}", &(2 + rng.below(10)).to_string())
        .replace("{blok}", block)
}

/// Where a demo case ends up; weighted so old cases are mostly finished.
#[derive(Clone, Copy, PartialEq)]
enum Target {
    Received,
    Verified,
    Dispositioned,
    InProgress,
    AwaitingApproval,
    Answered,
    Waiting,
    Closed,
    Objected,
    Rejected,
    Forwarded,
}

fn target(rng: &mut Rng, age_days: i64) -> Target {
    let roll = rng.below(1000);
    if age_days > 45 {
        // Old cases: nearly all finished; a few in a thousand are stuck (the long backlog).
        match roll {
            0..=719 => Target::Closed,
            720..=779 => Target::Objected,
            780..=879 => Target::Rejected,
            880..=995 => Target::Forwarded,
            996..=997 => Target::InProgress,
            998 => Target::Dispositioned,
            _ => Target::Received,
        }
    } else if age_days > 7 {
        // Last month's cases: most are done; some wait on a unit, a few are stuck.
        match roll {
            0..=599 => Target::Closed,
            600..=639 => Target::Objected,
            640..=739 => Target::Rejected,
            740..=839 => Target::Forwarded,
            840..=909 => Target::Answered,
            910..=949 => Target::InProgress,
            950..=969 => Target::Dispositioned,
            970..=984 => Target::AwaitingApproval,
            _ => Target::Waiting,
        }
    } else {
        // This week's cases: all along the way.
        match roll {
            0..=119 => Target::Received,
            120..=189 => Target::Verified,
            190..=309 => Target::Dispositioned,
            310..=489 => Target::InProgress,
            490..=569 => Target::AwaitingApproval,
            570..=689 => Target::Answered,
            690..=749 => Target::Waiting,
            750..=889 => Target::Closed,
            890..=939 => Target::Rejected,
            _ => Target::Forwarded,
        }
    }
}

/// The access code of a demo case: derived, not random, so benchmarks can follow demo cases.
pub fn demo_access_code(seed: u64, ticket: &Ticket) -> AccessCode {
    let digest = Sha256::new()
        .chain_update(seed.to_le_bytes())
        .chain_update(ticket.as_str().as_bytes())
        .finalize();
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    AccessCode::from_random(bytes)
}

/// Cases per import transaction: each commit writes its pages twice (WAL, then database) and
/// waits for the disk, so fewer, larger commits load faster; 10,000 demo cases are about 60 MB
/// of pages, which the SQLite import holds in its cache until the commit.
const BATCH: usize = 10_000;

/// Makes `count` histories and imports them; returns a one-line summary.
pub async fn generate(
    database: &str,
    organisation: Option<&Path>,
    count: u64,
    seed: u64,
) -> anyhow::Result<String> {
    let aduan = crate::server::open(database, organisation, Arc::new(SystemClock)).await?;
    let org = (*aduan.organisation()).clone();
    let calendar = Calendar::clone(&aduan.calendar());
    let now = OffsetDateTime::now_utc();
    let started = std::time::Instant::now();
    // Histories are made on a blocking thread while the previous batch is written.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<ImportedCase>>(2);
    let maker = std::thread::spawn(move || -> anyhow::Result<BTreeMap<String, u64>> {
        let mut maker = Maker::new(org, calendar, seed, now, count);
        let mut states = BTreeMap::new();
        let mut batch = Vec::with_capacity(BATCH);
        for i in 0..count {
            let case = maker.case(i)?;
            *states
                .entry(case.workflow.state.code().to_string())
                .or_default() += 1;
            batch.push(case);
            if batch.len() == BATCH && tx.blocking_send(std::mem::take(&mut batch)).is_err() {
                break;
            }
        }
        if !batch.is_empty() {
            let _ = tx.blocking_send(batch);
        }
        Ok(states)
    });
    let codes: aduan_store::AccessCodeFn =
        Arc::new(move |ticket: &Ticket| demo_access_code(seed, ticket));
    let mut written = 0usize;
    while let Some(batch) = rx.recv().await {
        written += aduan.import_cases(batch, codes.clone()).await?.len();
    }
    let states = maker
        .join()
        .map_err(|_| anyhow::anyhow!("the demo generator crashed"))??;
    // Without fresh statistics after a bulk load, PostgreSQL plans every query as if the table
    // were empty and reads all of it; SQLite picks worse indexes. Part of the load's time.
    aduan.finish_bulk_load().await?;
    let spread: Vec<String> = states.iter().map(|(s, n)| format!("{s}: {n}")).collect();
    let seconds = started.elapsed().as_secs_f64();
    Ok(format!(
        "{written} demo cases created in {seconds:.1} s ({:.0}/s; {})",
        written as f64 / seconds.max(0.001),
        spread.join(", ")
    ))
}

struct Maker {
    org: Organisation,
    cal: Calendar,
    rng: Rng,
    now: OffsetDateTime,
    start: OffsetDateTime,
    step: Duration,
}

fn staff(org: &Organisation, role: Role, unit: &str) -> Actor {
    Actor::Staff {
        username: format!("demo_{}_{unit}", role.code()),
        role,
        units: org.subtree(unit),
    }
}

impl Maker {
    fn new(org: Organisation, cal: Calendar, seed: u64, now: OffsetDateTime, count: u64) -> Self {
        let span = Duration::days(3 * 365);
        let step = span / i32::try_from(count.max(1)).unwrap_or(i32::MAX);
        Self {
            org,
            cal,
            rng: Rng(seed),
            now,
            start: now - span,
            step,
        }
    }

    fn case(&mut self, i: u64) -> anyhow::Result<ImportedCase> {
        let created = self.start + self.step * i32::try_from(i).unwrap_or(i32::MAX);
        let rng = &mut self.rng;
        let category = rng.pick(&self.org.categories).clone();
        let (title, body) = *rng.pick(topics(&category.code));
        let (province, city, district) = *rng.pick(PLACES);
        let kind = match rng.below(10) {
            0..=6 => "complaint",
            7..=8 => "info_request",
            _ => "aspiration",
        };
        let privacy = if kind == "info_request" {
            "public"
        } else {
            *rng.pick(&["public", "public", "confidential", "anonymous"])
        };
        let channel = *rng.pick(&[
            Channel::Web,
            Channel::Web,
            Channel::Lapor,
            Channel::Email,
            Channel::WalkIn,
            Channel::Phone,
            Channel::Letter,
            Channel::Social,
        ]);
        let name = format!("{} {}", rng.pick(FIRST_NAMES), rng.pick(LAST_NAMES));
        let description = topic_text(body, rng);
        let description = format!(
            "{description} Lokasi: Kecamatan {district}, {city}. Mohon tindak lanjut dari Direktorat Jenderal Perumahan. Terima kasih."
        );
        let input = CaseInput {
            kind: Some(kind.into()),
            category: Some(category.code.clone()),
            title: Some(title.into()),
            description: Some(description),
            event_date: Some((created.date() - Duration::days(rng.below(30) as i64)).to_string()),
            location: Some(Location {
                province: Some(province.into()),
                city: Some(city.into()),
                district: Some(district.into()),
                address: Some(format!(
                    "Jl. {} No. {}",
                    rng.pick(LAST_NAMES),
                    1 + rng.below(200)
                )),
                lat: None,
                lon: None,
            }),
            privacy: Some(privacy.into()),
            language: Some(if rng.chance(95) { "id" } else { "en" }.into()),
            reporter: (privacy != "anonymous").then(|| ReporterInput {
                name: Some(name.clone()),
                phone: Some(format!("08{}", 1_100_000_000 + rng.below(8_000_000_000))),
                email: rng.chance(60).then(|| {
                    format!(
                        "{}{}@contoh.id",
                        name.to_lowercase().replace(' ', "."),
                        rng.below(100)
                    )
                }),
                ..Default::default()
            }),
        };
        let today = self.cal.local_date(created);
        let new = validate(&input, channel, &self.org, today)
            .map_err(|e| anyhow::anyhow!("demo case {i} is invalid: {e:?}"))?;
        let desk = matches!(
            channel,
            Channel::WalkIn | Channel::Phone | Channel::Letter | Channel::Social
        );
        let coordinator_unit = self.org.agency.coordinator_unit.clone();
        let registered_by = desk.then(|| format!("demo_intake_{coordinator_unit}"));
        let mut workflow = Workflow::received(
            new.kind,
            new.category.clone(),
            created,
            &self.org,
            &self.cal,
        );
        let first = Event {
            at: created,
            actor: registered_by.clone().unwrap_or_else(|| "reporter".into()),
            actor_role: if desk {
                "intake".into()
            } else {
                "reporter".into()
            },
            rule: None,
            channel: Some(channel),
            change: Change::Received { channel },
            due_at: workflow.due_at,
            final_due_at: workflow.final_due_at,
        };
        let mut events = vec![first];
        let age_days = (self.now - created).whole_days();
        let goal = target(rng, age_days);
        let lead = category.lead_unit.clone();
        let coordinator = staff(&self.org, Role::Coordinator, &coordinator_unit);
        let officer = staff(&self.org, Role::UnitOfficer, &lead);
        let head = staff(&self.org, Role::UnitHead, &lead);
        // Most requests are granted; some in part or refused on an exemption ground of UU 14/2008
        // Pasal 17, a few ask for what the agency does not hold.
        let (decision, exemption) = if new.kind == aduan_domain::Kind::InfoRequest {
            const GROUNDS: [&str; 3] = [
                "Pasal 17 huruf b (mengganggu perlindungan HKI dan persaingan usaha)",
                "Pasal 17 huruf h (rahasia pribadi)",
                "Pasal 17 huruf i (memorandum antarbadan publik)",
            ];
            let ground = Some(rng.pick(&GROUNDS).to_string());
            match rng.below(100) {
                0..=69 => (Some(Decision::Granted), None),
                70..=84 => (Some(Decision::PartlyGranted), ground),
                85..=94 => (Some(Decision::Refused), ground),
                _ => (Some(Decision::NotHeld), None),
            }
        } else {
            (None, None)
        };
        let answer = Action::SubmitDraft {
            text: "Terima kasih atas laporan Anda. Unit kami telah berkoordinasi dengan pihak terkait dan menjadwalkan penanganan dalam dua minggu. Perkembangan akan kami sampaikan melalui kanal ini.".into(),
            decision,
            exemption,
            attachments: Vec::new(),
        };
        let mut plan: Vec<(Actor, Action)> = Vec::new();
        match goal {
            Target::Received => {}
            Target::Rejected => plan.push((
                coordinator.clone(),
                Action::Reject {
                    reason: RejectReason::OutOfScope,
                    note: None,
                },
            )),
            Target::Forwarded => plan.push((
                coordinator.clone(),
                Action::Forward {
                    agency: format!("Pemerintah {city}"),
                    reason: "Kewenangan pemerintah daerah".into(),
                },
            )),
            _ => {
                plan.push((coordinator.clone(), Action::Verify { category: None }));
                // About one complaint in six alleges some form of maladministration, most
                // often undue delay, as in the Ombudsman's own figures.
                if new.kind == aduan_domain::Kind::Complaint && rng.chance(16) {
                    let forms = aduan_domain::Maladministration::ALL;
                    let mut alleged = vec![if rng.chance(40) {
                        aduan_domain::Maladministration::UndueDelay
                    } else {
                        *rng.pick(forms)
                    }];
                    if rng.chance(20) {
                        alleged.push(*rng.pick(forms));
                    }
                    plan.push((
                        coordinator.clone(),
                        Action::Classify {
                            maladministration: alleged,
                        },
                    ));
                }
                if goal != Target::Verified {
                    let instruction = "Mohon ditindaklanjuti dan dijawab sesuai ketentuan.".into();
                    plan.push((
                        coordinator.clone(),
                        Action::Dispose {
                            lead_unit: lead.clone(),
                            supporting_units: vec![],
                            instruction,
                            due_date: None,
                        },
                    ));
                }
                if !matches!(goal, Target::Verified | Target::Dispositioned) {
                    plan.push((officer.clone(), Action::Accept {}));
                    plan.push((
                        officer.clone(),
                        Action::Note {
                            text: "Sudah dikoordinasikan dengan pengelola di lapangan.".into(),
                        },
                    ));
                }
                if goal == Target::Waiting {
                    plan.push((
                        officer.clone(),
                        Action::AskInfo {
                            question: "Mohon lampirkan foto kondisi dan nomor unit/rumah.".into(),
                        },
                    ));
                }
                if matches!(
                    goal,
                    Target::AwaitingApproval | Target::Answered | Target::Closed | Target::Objected
                ) {
                    plan.push((officer.clone(), answer));
                }
                if matches!(goal, Target::Answered | Target::Closed | Target::Objected) {
                    plan.push((head.clone(), Action::Approve {}));
                    plan.push((coordinator.clone(), Action::Approve {}));
                }
                if goal == Target::Closed {
                    plan.push((
                        Actor::Reporter,
                        Action::AcceptAnswer {
                            rating: Some(3 + rng.below(3) as u8),
                        },
                    ));
                }
                if goal == Target::Objected {
                    let reason = "Belum ada perbaikan di lapangan.".into();
                    plan.push((
                        Actor::Reporter,
                        Action::Object {
                            reason,
                            rating: Some(1 + rng.below(2) as u8),
                        },
                    ));
                    // An older objection was answered again and accepted.
                    if age_days > 7 {
                        plan.push((
                            officer.clone(),
                            Action::SubmitDraft {
                                text: "Perbaikan lift telah selesai dan diuji bersama pengelola pada minggu ini.".into(),
                                // The objection won: what was asked is now given in full.
                                decision: decision.map(|_| Decision::Granted),
                                exemption: None,
                                attachments: Vec::new(),
                            },
                        ));
                        plan.push((head.clone(), Action::Approve {}));
                        plan.push((coordinator.clone(), Action::Approve {}));
                        plan.push((Actor::Reporter, Action::AcceptAnswer { rating: Some(4) }));
                    }
                }
            }
        }
        let ticket = Ticket::new(new.kind, 2000, 1); // only consulted by merges, which demo data has none of
        let mut at = created;
        for (actor, action) in plan {
            // Most steps come within a day or two; about one in twenty-five takes one to two weeks,
            // so that some deadlines are missed as in real life.
            at += if rng.chance(4) {
                Duration::hours(72 + rng.below(250) as i64)
            } else {
                Duration::hours(4 + rng.below(40) as i64)
            };
            if at > self.now {
                break;
            }
            let channel = matches!(actor, Actor::Reporter).then_some(Channel::Web);
            let ctx = Context {
                now: at,
                org: &self.org,
                calendar: &self.cal,
                ticket: &ticket,
                channel,
            };
            let produced = decide(&workflow, &action, &actor, &ctx)
                .map_err(|e| anyhow::anyhow!("demo case {i}: {e}"))?;
            for event in &produced {
                apply(&mut workflow, event);
            }
            events.extend(produced);
        }
        // Old answered cases whose reporter never reacted were closed by the system.
        if workflow.state == aduan_domain::State::Answered
            && workflow.due_at.is_some_and(|d| d < self.now)
            && rng.chance(90)
        {
            let at = workflow.due_at.unwrap_or(self.now) + Duration::minutes(5);
            let ctx = Context {
                now: at,
                org: &self.org,
                calendar: &self.cal,
                ticket: &ticket,
                channel: None,
            };
            let actor = Actor::System {
                rule: aduan_domain::watch::RULE_CLOSE_NO_REACTION.into(),
            };
            let produced = decide(&workflow, &Action::CloseNoReaction {}, &actor, &ctx)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            for event in &produced {
                apply(&mut workflow, event);
            }
            events.extend(produced);
        }
        // The deadline watch has kept up: reminders and escalations already raised, lapsed
        // windows closed, so that a fresh server does not start with a storm of them.
        let ctx = Context {
            now: self.now,
            org: &self.org,
            calendar: &self.cal,
            ticket: &ticket,
            channel: None,
        };
        for _ in 0..3 {
            let produced = aduan_domain::watch::system_events(&workflow, &ctx)
                .map_err(|e| anyhow::anyhow!("demo case {i}: {e}"))?;
            if produced.is_empty() {
                break;
            }
            for event in &produced {
                apply(&mut workflow, event);
            }
            events.extend(produced);
        }
        let next_check_at = aduan_domain::watch::next_check(&workflow, &self.org, &self.cal);
        Ok(ImportedCase {
            case: new,
            workflow,
            events,
            registered_by,
            year: today.year(),
            next_check_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn sample_reports_differ_as_people_do() {
        let reports: Vec<SampleReport> = (0..500).map(sample_report).collect();
        let categories: HashSet<&str> = reports.iter().map(|r| r.category).collect();
        assert_eq!(categories.len(), TOPIC_CATEGORIES.len());
        let texts: HashSet<&str> = reports.iter().map(|r| r.description.as_str()).collect();
        assert!(texts.len() > 40, "only {} different texts", texts.len());
        assert!(reports.iter().all(|r| !r.description.contains('{')));
        // The same number gives the same report, so a run can be repeated.
        assert_eq!(sample_report(7).description, reports[7].description);
    }
}
